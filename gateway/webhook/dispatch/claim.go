package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
)

// job is one claimed delivery: one attempt to make.
type job struct {
	ID        string // the webhook-id of every attempt
	Tenant    ids.TenantID
	Webhook   string
	EventType string
	Payload   json.RawMessage // the event, as outbox stored it
	CreatedAt time.Time
	Attempt   int // this attempt's number, 1 for the first; fences the lease
	// LeaseEnds is when another dispatcher may claim it again, by this
	// process's clock: taken before the claim, so never later than the
	// lease the database holds.
	LeaseEnds time.Time
}

// claim leases up to n due deliveries, oldest due first, and returns them.
// The statement commits on its own, before anything is sent: the lease
// (attempts+1, next_attempt_at and leased_until moved past the lease) is
// what keeps other dispatchers off, and what lets one of them retry the
// delivery if this one dies. SKIP LOCKED lets concurrent claims pass each
// other instead of queueing on the same rows.
func (d *Dispatcher) claim(ctx context.Context, n int) ([]job, error) {
	ends := time.Now().Add(d.Lease)
	rows, err := d.Tenants.Pool().Query(ctx, `WITH due AS (
			SELECT id FROM remora.webhook_deliveries
			WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()
			ORDER BY next_attempt_at LIMIT $1
			FOR UPDATE SKIP LOCKED)
		UPDATE remora.webhook_deliveries d
		SET attempts = d.attempts + 1, leased_until = clock_timestamp() + $2 * interval '1 millisecond',
			next_attempt_at = clock_timestamp() + $2 * interval '1 millisecond', updated_at = now()
		FROM due WHERE d.id = due.id
		RETURNING d.id, d.tenant_id, d.webhook_id, d.event_type, d.payload, d.created_at, d.attempts`, n, d.Lease.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (job, error) {
		var j job
		err := r.Scan(&j.ID, &j.Tenant, &j.Webhook, &j.EventType, &j.Payload, &j.CreatedAt, &j.Attempt)
		j.LeaseEnds = ends
		return j, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return jobs, nil
}
