package policystore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
)

// Update is what a compute worker holding a tenant's graph at generation
// From must apply to reach Generation. When the change feed cannot bring
// From up to date (no graph yet, or the rows it needs were pruned),
// Snapshot holds the whole input to rebuild from instead.
type Update struct {
	From       int64
	Generation int64
	Snapshot   *Snapshot

	Policy    *policy.Policy    // the active policy, when it changed after From
	Workloads []policy.Workload // workloads created or changed after From, as they are now
	Gone      []policy.WorkloadID
}

// Empty reports whether the update changes nothing.
func (u Update) Empty() bool {
	return u.Snapshot == nil && u.Policy == nil && len(u.Workloads) == 0 && len(u.Gone) == 0
}

// Since reads, in one REPEATABLE READ transaction, what changed in the
// tenant after generation from (negative: nothing is held, read a
// snapshot). A workload written several times since is read once, as it
// is now.
func (s *Store) Since(ctx context.Context, tenant ids.TenantID, from int64) (Update, error) {
	return read(ctx, s, tenant, "read changes", func(tx pgx.Tx) (Update, error) {
		u := Update{From: from}
		if err := tx.QueryRow(ctx, `SELECT desired_generation FROM compute_state`).Scan(&u.Generation); err != nil {
			return u, fmt.Errorf("read generation: %w", err)
		}
		if from == u.Generation {
			return u, nil
		}
		changedPolicy, changed, complete, err := changesAfter(ctx, tx, from, u.Generation)
		if err != nil {
			return u, err
		}
		if !complete {
			snap, err := snapshot(ctx, tx)
			if err != nil {
				return u, err
			}
			u.Snapshot = &snap
			return u, nil
		}
		if changedPolicy {
			active, err := activeVersion(ctx, tx)
			if err != nil {
				return u, fmt.Errorf("read active version: %w", err)
			}
			if u.Policy, err = loadPolicy(ctx, tx, state{n: active}); err != nil {
				return u, err
			}
		}
		if len(changed) == 0 {
			return u, nil
		}
		rows, err := tx.Query(ctx, workloadSelect+` WHERE w.id = ANY($1::uuid[]) ORDER BY w.id`, changed)
		if err != nil {
			return u, fmt.Errorf("load changed workloads: %w", err)
		}
		recs, err := pgx.CollectRows(rows, collectWorkload)
		if err != nil {
			return u, fmt.Errorf("load changed workloads: %w", err)
		}
		present := make(map[policy.WorkloadID]bool, len(recs))
		for _, r := range recs {
			u.Workloads = append(u.Workloads, r.compileInput())
			present[r.Workload.ID] = true
		}
		for _, id := range changed {
			if !present[policy.WorkloadID(id)] {
				u.Gone = append(u.Gone, policy.WorkloadID(id))
			}
		}
		return u, nil
	})
}

// changesAfter reads the feed rows of generations from+1..to: whether the
// policy changed, and the distinct workloads named. complete is false when
// from is negative or a row is missing (pruned, or from is not a
// generation this tenant had).
func changesAfter(ctx context.Context, tx pgx.Tx, from, to int64) (changedPolicy bool, workloads []string, complete bool, err error) {
	if from < 0 || from > to {
		return false, nil, false, nil
	}
	rows, err := tx.Query(ctx, `SELECT policy, workloads::text[] FROM compute_changes
		WHERE generation > $1 AND generation <= $2 ORDER BY generation`, from, to)
	if err != nil {
		return false, nil, false, fmt.Errorf("read change feed: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	n := int64(0)
	for rows.Next() {
		var (
			p  bool
			ws []string
		)
		if err := rows.Scan(&p, &ws); err != nil {
			return false, nil, false, fmt.Errorf("read change feed: %w", err)
		}
		n++
		changedPolicy = changedPolicy || p
		for _, w := range ws {
			if !seen[w] {
				seen[w] = true
				workloads = append(workloads, w)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return false, nil, false, fmt.Errorf("read change feed: %w", err)
	}
	return changedPolicy, workloads, n == to-from, nil
}
