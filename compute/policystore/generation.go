package policystore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
)

// bumpGeneration records, within a write's own transaction, that what the
// tenant enforces may have changed: the compute workers' results for older
// generations are then stale. It returns the new desired generation.
func bumpGeneration(ctx context.Context, tx pgx.Tx) (int64, error) {
	var gen int64
	err := tx.QueryRow(ctx, `UPDATE compute_state SET desired_generation = desired_generation + 1, changed_at = now()
		RETURNING desired_generation`).Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("bump generation: %w", err)
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
