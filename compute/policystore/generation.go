package policystore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
)

// change is what one write did to the compiler's input: the active policy
// (a provision or rollback), and/or these workloads (created, changed or
// deleted).
type change struct {
	policy    bool
	workloads []string
}

// bumpGeneration records, within a write's own transaction, that what the
// tenant enforces may have changed: the compute workers' results for older
// generations are then stale. The change joins the feed that lets a worker
// holding the tenant's graph apply just it. It returns the new desired
// generation.
func bumpGeneration(ctx context.Context, tx pgx.Tx, c change) (int64, error) {
	var gen int64
	err := tx.QueryRow(ctx, `UPDATE compute_state SET desired_generation = desired_generation + 1, changed_at = now()
		RETURNING desired_generation`).Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("bump generation: %w", err)
	}
	if c.workloads == nil {
		c.workloads = []string{}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO compute_changes (generation, policy, workloads) VALUES ($1, $2, $3::uuid[])`,
		gen, c.policy, c.workloads); err != nil {
		return 0, fmt.Errorf("record change: %w", err)
	}
	return gen, nil
}

// Generations is where a tenant's enforcement stands: the generation its
// writes asked for, and the one its computed results answer.
type Generations struct {
	Active     int // the active policy version
	Desired    int64
	Computed   int64
	ChangedAt  time.Time
	ComputedAt *time.Time
}

// Generations reads the tenant's generations.
func (s *Store) Generations(ctx context.Context, tenant ids.TenantID) (Generations, error) {
	return read(ctx, s, tenant, "read generations", func(tx pgx.Tx) (Generations, error) {
		var g Generations
		err := tx.QueryRow(ctx, `SELECT (SELECT active FROM policy_head), desired_generation, computed_generation, changed_at, computed_at
			FROM compute_state`).Scan(&g.Active, &g.Desired, &g.Computed, &g.ChangedAt, &g.ComputedAt)
		return g, err
	})
}
