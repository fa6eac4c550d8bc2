// Package hookstore keeps a tenant's webhooks — where its events are
// delivered — in the tenant's schema, and reads and steers their deliveries
// in the control schema's queue (remora.webhook_deliveries).
//
// Every write emits its event (webhook.created, …) through infra/outbox in
// its own transaction. A URL is checked by the SSRF guard before the
// transaction opens, since the check may wait on DNS. Queuing events for
// webhooks is outbox.Emit's business, sending them the dispatcher's
// (package dispatch); this package only queues the pings and redeliveries
// a user asks for.
package hookstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// Tenants is the way into a tenant's schema (tenants.Store implements it).
type Tenants interface {
	InTenant(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
	InTenantRead(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
}

// Guard vets a webhook's URL (ssrf.Guard implements it). Its refusals are
// usererr errors about the field "url".
type Guard interface {
	CheckURL(ctx context.Context, raw string) error
}

// Grace is how long the secret before a rotation keeps signing alongside
// the new one: a day for the receiver's owner to deploy the new secret.
const Grace = 24 * time.Hour

// Store is the webhook store; safe for concurrent use.
type Store struct {
	tenants Tenants
	guard   Guard
}

// New returns a Store reaching tenant schemas through t and vetting URLs
// with g.
func New(t Tenants, g Guard) *Store { return &Store{tenants: t, guard: g} }

// Webhook is a stored webhook, without its secrets.
type Webhook struct {
	ID             string
	URL            string
	EventTypes     []string
	Description    string
	Enabled        bool
	DisabledReason string     // why the dispatcher disabled it; "" otherwise
	FailingSince   *time.Time // first failure since the last success
	PreviousUntil  *time.Time // until when the previous secret signs too; nil when it no longer does
	Revision       int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

var (
	errWebhookNotFound  = usererr.New(usererr.NotFound, "webhook not found")
	errDeliveryNotFound = usererr.New(usererr.NotFound, "delivery not found")
)

// read runs fn in a read-only transaction in tenant's schema; errors are
// wrapped with what the caller was doing.
func read[T any](ctx context.Context, s *Store, tenant ids.TenantID, what string, fn func(pgx.Tx) (T, error)) (T, error) {
	return pg.InTenantTx(ctx, s.tenants.InTenantRead, tenant, what, fn)
}

// write is read for fn that writes.
func write[T any](ctx context.Context, s *Store, tenant ids.TenantID, what string, fn func(pgx.Tx) (T, error)) (T, error) {
	return pg.InTenantTx(ctx, s.tenants.InTenant, tenant, what, fn)
}
