package hookstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// PingType is the event type of the test deliveries Ping queues.
const PingType = "webhook.ping"

// Delivery is one event for one webhook, with every attempt at sending it.
// Its ID is the webhook-id header of each attempt, so a receiver can drop
// the duplicates that at-least-once delivery allows.
type Delivery struct {
	ID            string
	WebhookID     string
	EventID       string
	EventType     string
	Status        string // pending, delivered, failed
	Attempts      []Attempt
	NextAttemptAt *time.Time // nil unless pending
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Attempt is one try at sending a delivery.
type Attempt struct {
	Number     int
	At         time.Time
	StatusCode *int // nil: no HTTP answer
	LatencyMS  int
	Excerpt    string // the first KiB of the answer
	Error      string // why there was no answer; "" otherwise
}

const deliverySelect = `SELECT d.id, d.webhook_id, d.event_id, d.event_type, d.status,
	CASE WHEN d.status = 'pending' THEN d.next_attempt_at END, d.created_at, d.updated_at FROM remora.webhook_deliveries d`

func scanDelivery(r pgx.Row) (Delivery, error) {
	var d Delivery
	err := r.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Status, &d.NextAttemptAt, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

// Deliveries returns one page of webhook id's deliveries, oldest first,
// each with its attempts.
func (s *Store) Deliveries(ctx context.Context, tenant ids.TenantID, webhookID string, pr page.Request) ([]Delivery, string, error) {
	type result struct {
		items []Delivery
		next  string
	}
	r, err := read(ctx, s, tenant, "list webhook deliveries", func(tx pgx.Tx) (result, error) {
		if _, err := get(ctx, tx, webhookID, ""); err != nil {
			return result{}, err
		}
		items, next, err := pg.ListPage(ctx, tx, deliverySelect+` WHERE d.tenant_id = $1 AND d.webhook_id = $2`, "d.",
			[]any{tenant, webhookID}, pr,
			func(r pgx.CollectableRow) (Delivery, error) { return scanDelivery(r) },
			func(d Delivery) page.Key { return page.Key{Time: d.CreatedAt, ID: d.ID} })
		if err != nil {
			return result{}, err
		}
		return result{items, next}, attachAttempts(ctx, tx, items)
	})
	return r.items, r.next, err
}

// getDelivery reads one delivery of tenant's webhook with its attempts.
func getDelivery(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, webhookID, id string) (Delivery, error) {
	if !ids.Valid(id) {
		return Delivery{}, errDeliveryNotFound
	}
	d, err := scanDelivery(tx.QueryRow(ctx, deliverySelect+` WHERE d.id = $1 AND d.tenant_id = $2 AND d.webhook_id = $3`, id, tenant, webhookID))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, errDeliveryNotFound
	}
	if err != nil {
		return d, fmt.Errorf("read delivery: %w", err)
	}
	ds := []Delivery{d}
	err = attachAttempts(ctx, tx, ds)
	return ds[0], err
}

// attachAttempts fills each delivery's attempts, in one query.
func attachAttempts(ctx context.Context, tx pgx.Tx, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	idx := make(map[string]int, len(ds))
	dids := make([]string, len(ds))
	for i, d := range ds {
		idx[d.ID], dids[i] = i, d.ID
	}
	rows, err := tx.Query(ctx, `SELECT delivery_id, attempt, attempted_at, status_code, latency_ms, response_excerpt, error
		FROM remora.webhook_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY attempted_at, attempt`, dids)
	if err != nil {
		return fmt.Errorf("read attempts: %w", err)
	}
	var (
		did string
		a   Attempt
	)
	_, err = pgx.ForEachRow(rows, []any{&did, &a.Number, &a.At, &a.StatusCode, &a.LatencyMS, &a.Excerpt, &a.Error}, func() error {
		i := idx[did]
		ds[i].Attempts = append(ds[i].Attempts, a)
		a.StatusCode = nil // scanned into afresh, never shared
		return nil
	})
	if err != nil {
		return fmt.Errorf("read attempts: %w", err)
	}
	return nil
}

// Redeliver makes delivery id of webhook webhookID due now, whatever its
// status: the dispatcher sends it again within moments, with the same
// webhook-id. It is a conflict while an attempt is under way (sending it
// again then would send it twice at once) or while the webhook is
// disabled (the dispatcher would fail it unsent).
func (s *Store) Redeliver(ctx context.Context, tenant ids.TenantID, webhookID, id string) (Delivery, error) {
	return write(ctx, s, tenant, "redeliver", func(tx pgx.Tx) (Delivery, error) {
		w, err := get(ctx, tx, webhookID, "FOR SHARE")
		if err != nil {
			return Delivery{}, err
		}
		if _, err := getDelivery(ctx, tx, tenant, webhookID, id); err != nil {
			return Delivery{}, err
		}
		if !w.Enabled {
			return Delivery{}, errDisabled
		}
		tag, err := tx.Exec(ctx, `UPDATE remora.webhook_deliveries SET status = 'pending', next_attempt_at = now(), updated_at = now()
			WHERE id = $1 AND (leased_until IS NULL OR leased_until <= clock_timestamp())`, id)
		if err != nil {
			return Delivery{}, fmt.Errorf("queue: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return Delivery{}, usererr.New(usererr.Conflict, "an attempt at this delivery is under way; redeliver once it has ended")
		}
		return getDelivery(ctx, tx, tenant, webhookID, id)
	})
}

var errDisabled = usererr.New(usererr.Conflict, "the webhook is disabled; enable it first")

// Ping queues a webhook.ping event for webhook id alone, whatever its
// event types, and returns the delivery. The event is not stored in the
// audit log: it records no change.
func (s *Store) Ping(ctx context.Context, tenant ids.TenantID, id string) (Delivery, error) {
	return write(ctx, s, tenant, "ping webhook", func(tx pgx.Tx) (Delivery, error) {
		w, err := get(ctx, tx, id, "FOR SHARE")
		if err != nil {
			return Delivery{}, err
		}
		if !w.Enabled {
			return Delivery{}, errDisabled
		}
		ev := outbox.Event{ID: ids.New(), Type: PingType, Actor: outbox.ActorOf(ctx), Resource: Resource(w.ID),
			Data: json.RawMessage(`{}`), CreatedAt: time.Now().UTC()}
		payload, err := json.Marshal(ev)
		if err != nil {
			return Delivery{}, fmt.Errorf("encode event: %w", err)
		}
		var did string
		err = tx.QueryRow(ctx, `INSERT INTO remora.webhook_deliveries (tenant_id, webhook_id, event_id, event_type, payload)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, tenant, w.ID, ev.ID, ev.Type, payload).Scan(&did)
		if err != nil {
			return Delivery{}, fmt.Errorf("queue: %w", err)
		}
		return getDelivery(ctx, tx, tenant, w.ID, did)
	})
}
