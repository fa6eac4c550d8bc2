package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// DefaultRetention is how long events are kept unless configured: 90 days.
const DefaultRetention = 90 * 24 * time.Hour

// Tenants is what the pruner walks (tenants.Store implements it): every
// tenant, and a read-write transaction in one's schema.
type Tenants interface {
	TenantIDs(ctx context.Context) ([]ids.TenantID, error)
	InTenant(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
	Pool() *pgxpool.Pool // the control schema's delivery queue
}

// Pruner deletes events older than Retention, tenant by tenant, and the
// settled webhook deliveries (delivered or failed, with their attempts)
// older than it too: a delivery holds a copy of its event, which must not
// outlive the retention. Pending deliveries are kept, whatever their age.
// Several replicas may prune at once: they only delete the same rows.
type Pruner struct {
	Tenants   Tenants
	Retention time.Duration    // default DefaultRetention: never zero, which would delete all
	Batch     int              // events deleted per transaction; default 5,000
	Now       func() time.Time // default time.Now
	Log       *slog.Logger
}

// Prune deletes every tenant's events created before the retention window
// and returns how many. Each batch is a short transaction of its own, so a
// tenant with months of backlog never holds locks for long. A failing
// tenant does not stop the others: their errors are returned together.
func (p *Pruner) Prune(ctx context.Context) (int64, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	keep := p.Retention
	if keep <= 0 {
		keep = DefaultRetention
	}
	before := now().Add(-keep)
	tenants, err := p.Tenants.TenantIDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	var (
		total int64
		errs  []error
	)
	if err := p.pruneDeliveries(ctx, before); err != nil {
		errs = append(errs, err)
	}
	for _, t := range tenants {
		n, err := p.pruneTenant(ctx, t, before)
		total += n
		switch {
		case usererr.Is(err, usererr.NotFound): // deleted meanwhile, events and all
		case ctx.Err() != nil:
			return total, fmt.Errorf("prune events: %w", ctx.Err())
		case err != nil:
			errs = append(errs, fmt.Errorf("prune events of tenant %s: %w", t, err))
		}
	}
	return total, errors.Join(errs...)
}

// pruneDeliveries deletes settled deliveries last touched before before,
// in batches (their attempts go by cascade).
func (p *Pruner) pruneDeliveries(ctx context.Context, before time.Time) error {
	batch := p.Batch
	if batch <= 0 {
		batch = 5000
	}
	for {
		tag, err := p.Tenants.Pool().Exec(ctx, `DELETE FROM remora.webhook_deliveries WHERE id IN (
			SELECT id FROM remora.webhook_deliveries WHERE status <> 'pending' AND updated_at < $1 LIMIT $2)`, before, batch)
		if err != nil {
			return fmt.Errorf("prune webhook deliveries: %w", err)
		}
		if tag.RowsAffected() < int64(batch) {
			return nil
		}
	}
}

func (p *Pruner) pruneTenant(ctx context.Context, tenant ids.TenantID, before time.Time) (int64, error) {
	batch := p.Batch
	if batch <= 0 {
		batch = 5000
	}
	var total int64
	for {
		var n int64
		err := p.Tenants.InTenant(ctx, tenant, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `DELETE FROM events WHERE id IN
				(SELECT id FROM events WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, before, batch)
			n = tag.RowsAffected()
			return err
		})
		total += n
		if err != nil || n < int64(batch) {
			return total, err
		}
	}
}

// Run prunes at once and then every interval until ctx ends, logging what
// it deleted and what failed: the next pass retries.
func (p *Pruner) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := p.Prune(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			p.Log.Error("event retention", "deleted", n, "err", err)
		case n > 0:
			p.Log.Info("event retention", "deleted", n, "retention", p.Retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
