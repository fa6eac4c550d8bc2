package policystore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
)

// Snapshot is what the compiler needs of a tenant, read at one moment: the
// active policy with its labels and settings, every workload, and the
// desired generation those answer.
type Snapshot struct {
	Generation int64
	Policy     *policy.Policy
	Workloads  []policy.Workload
}

// Snapshot reads the tenant's compile input in one REPEATABLE READ
// transaction, so the generation names exactly the state returned.
func (s *Store) Snapshot(ctx context.Context, tenant ids.TenantID) (Snapshot, error) {
	return read(ctx, s, tenant, "snapshot", func(tx pgx.Tx) (Snapshot, error) { return snapshot(ctx, tx) })
}

func snapshot(ctx context.Context, tx pgx.Tx) (Snapshot, error) {
	var snap Snapshot
	if err := tx.QueryRow(ctx, `SELECT desired_generation FROM compute_state`).Scan(&snap.Generation); err != nil {
		return snap, fmt.Errorf("read generation: %w", err)
	}
	active, err := activeVersion(ctx, tx)
	if err != nil {
		return snap, fmt.Errorf("read active version: %w", err)
	}
	if snap.Policy, err = loadPolicy(ctx, tx, state{n: active}); err != nil {
		return snap, err
	}
	rows, err := tx.Query(ctx, workloadSelect+` ORDER BY w.id`)
	if err != nil {
		return snap, fmt.Errorf("load workloads: %w", err)
	}
	recs, err := pgx.CollectRows(rows, collectWorkload)
	if err != nil {
		return snap, fmt.Errorf("load workloads: %w", err)
	}
	snap.Workloads = make([]policy.Workload, len(recs))
	for i, r := range recs {
		snap.Workloads[i] = r.compileInput()
	}
	return snap, nil
}
