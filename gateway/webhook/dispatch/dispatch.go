// Package dispatch sends queued webhook deliveries: the events outbox.Emit
// (and the webhook API's pings and redeliveries) put in the control
// schema's queue, remora.webhook_deliveries, for every tenant.
//
// A Dispatcher claims due deliveries with FOR UPDATE SKIP LOCKED and
// leases each one before sending it — the lease is committed first — so any
// number of dispatchers, in any number of replicas, share the queue
// without sending one delivery twice at once, and a dispatcher that dies
// mid-send leaves its deliveries to another once the lease runs out. Each
// attempt is signed (Standard Webhooks, package sign) with the webhook's
// current secret and, during a rotation, its previous one; it is sent
// through the SSRF guard's client, which vets the address actually
// dialed; it is logged in remora.webhook_attempts. A failure is retried
// on the backoff schedule, then the delivery is failed; an endpoint that
// has failed for DisableAfter is disabled, with a webhook.disabled event.
//
// Delivery is at least once: a receiver that answers after the lease, or
// whose answer is lost, gets the delivery again, with the same webhook-id.
package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/remora-sec/remora/gateway/webhook/backoff"
	"github.com/remora-sec/remora/gateway/webhook/ssrf"
	"github.com/remora-sec/remora/infra/ids"
)

// Tenants is the way into tenant schemas and the control schema's queue
// (tenants.Store implements it).
type Tenants interface {
	InTenant(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
	InTenantRead(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error
	Pool() *pgxpool.Pool
}

// Defaults of the Dispatcher's optional fields.
const (
	DefaultWorkers      = 2
	DefaultPoll         = time.Second
	DefaultDisableAfter = 5 * 24 * time.Hour
	// leaseMargin is how much longer than an attempt's timeout its lease
	// lasts: time to log the attempt, and slack for a slow database.
	leaseMargin = 50 * time.Second
)

// Dispatcher sends deliveries until its Run's context ends. Tenants and
// Guard are required; zero values of the other fields take the defaults.
// A Dispatcher must not be changed once running.
type Dispatcher struct {
	Tenants Tenants
	// Guard vets every address dialed: a webhook's host may resolve
	// elsewhere now than when it was saved.
	Guard *ssrf.Guard
	// Schedule is the delay before each retry; backoff.Default if nil.
	Schedule backoff.Schedule
	// Workers is how many deliveries are sent at once; DefaultWorkers
	// if 0.
	Workers int
	// Timeout bounds one attempt, connection to last byte read;
	// ssrf.DefaultTimeout (10 s) if 0.
	Timeout time.Duration
	// Lease is how long a claimed delivery is its dispatcher's before
	// another may take it: it must outlast Timeout. Default Timeout+50s.
	Lease time.Duration
	// Poll is how long the dispatcher waits, once nothing is due, before
	// looking again; DefaultPoll if 0.
	Poll time.Duration
	// DisableAfter is how long a webhook fails without a single success
	// before it is disabled; DefaultDisableAfter if 0.
	DisableAfter time.Duration
	// Rand jitters the retry delays; nil: math/rand/v2.
	Rand backoff.Rand
	// Log receives what goes wrong on our side (a receiver's failures go
	// to the attempt log); nil: discarded.
	Log *slog.Logger
}

// withDefaults returns a copy of d with its defaults filled in, or an
// error naming the field that makes no sense.
func (d *Dispatcher) withDefaults() (*Dispatcher, error) {
	c := *d
	if c.Tenants == nil || c.Guard == nil {
		return nil, errors.New("dispatch: Tenants and Guard are required")
	}
	if c.Schedule == nil {
		c.Schedule = backoff.Default
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Timeout <= 0 {
		c.Timeout = ssrf.DefaultTimeout
	}
	if c.Lease <= 0 {
		c.Lease = c.Timeout + leaseMargin
	}
	if c.Lease <= c.Timeout {
		return nil, errors.New("dispatch: Lease must be longer than Timeout, or a slow attempt could be sent twice at once")
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.DisableAfter <= 0 {
		c.DisableAfter = DefaultDisableAfter
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &c, nil
}

// Run sends deliveries as they fall due until ctx ends, then waits for the
// attempts under way: those that got an answer are logged, the others are
// abandoned to their lease, like a crash's. Its only error is a bad
// configuration; database trouble is logged and retried.
func (d *Dispatcher) Run(ctx context.Context) error {
	c, err := d.withDefaults()
	if err != nil {
		return err
	}
	client := c.Guard.Client(c.Timeout)
	defer client.CloseIdleConnections()

	// A slot per worker; a delivery is claimed only for a free one, so its
	// lease starts when its sending can.
	slots := make(chan struct{}, c.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		free := 1
	more:
		for free < c.Workers {
			select {
			case slots <- struct{}{}:
				free++
			default:
				break more
			}
		}
		jobs, err := c.claim(ctx, free)
		if err != nil && ctx.Err() == nil {
			c.Log.Warn("webhook deliveries: claim failed; retrying", "err", err)
		}
		for range free - len(jobs) {
			<-slots
		}
		for _, j := range jobs {
			wg.Go(func() {
				defer func() { <-slots }()
				c.deliver(ctx, client, j)
			})
		}
		if len(jobs) < free { // nothing more is due: wait a little
			select {
			case <-time.After(c.Poll):
			case <-ctx.Done():
				return nil
			}
		}
	}
}
