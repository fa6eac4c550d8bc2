package dispatch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/usererr"
)

// finishTimeout bounds logging an attempt's result. It runs even when the
// dispatcher is stopping: an answer received must be recorded, or the
// delivery would be sent again.
const finishTimeout = 10 * time.Second

// target is what a delivery needs of its webhook, read at each attempt:
// the URL and secrets may have changed since the event was queued.
type target struct {
	URL     string
	Enabled bool
	Failing bool     // failing_since is set: a success must clear it
	Secrets [][]byte // the current secret, then the previous one while it still signs
}

// errGone marks a delivery whose tenant or webhook no longer exists.
var errGone = errors.New("webhook gone")

// deliver makes one attempt at j and records it. Failures on our side
// (database, encoding) are logged and left to the lease: the delivery is
// tried again once it runs out.
func (d *Dispatcher) deliver(ctx context.Context, client *http.Client, j job) {
	log := d.Log.With("delivery", j.ID, "tenant", j.Tenant, "webhook", j.Webhook, "attempt", j.Attempt)
	t, err := d.target(ctx, j)
	if errors.Is(err, errGone) {
		// Deleting a webhook deletes its deliveries, but an event
		// committing beside the delete can queue one it does not see:
		// drop it here, or it would be claimed at every lease for ever.
		if _, err := d.Tenants.Pool().Exec(context.WithoutCancel(ctx),
			`DELETE FROM remora.webhook_deliveries WHERE id = $1 AND attempts = $2`, j.ID, j.Attempt); err != nil {
			log.Warn("webhook delivery: dropping the delivery of a deleted webhook failed; retrying after the lease", "err", err)
		}
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("webhook delivery: reading the webhook failed; retrying after the lease", "err", err)
		}
		return
	}
	// Sending must end before the lease does: past it another dispatcher
	// may claim the delivery and send it too. A slow read (a busy pool)
	// leaves it to the lease instead.
	if time.Until(j.LeaseEnds) <= d.Timeout {
		log.Warn("webhook delivery: too little of the lease left to send; retrying after it")
		return
	}
	var res result
	if !t.Enabled {
		res = result{At: time.Now().UTC(), Error: "not sent: the webhook is disabled"}
	} else {
		payload, err := body(j)
		if err != nil {
			log.Error("webhook delivery: cannot encode; retrying after the lease", "err", err)
			return
		}
		if res, err = send(ctx, client, t.URL, j.ID, t.Secrets, payload, d.Timeout); err != nil {
			return // stopping before an answer: abandoned to the lease, as in a crash
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := d.finish(fctx, j, t, res); err != nil {
		log.Warn("webhook delivery: recording the attempt failed; it will be retried after the lease", "err", err,
			"status_code", res.StatusCode)
	}
}

// target reads j's webhook in its tenant's schema.
func (d *Dispatcher) target(ctx context.Context, j job) (target, error) {
	var (
		t              target
		secret, prev   []byte
		prevStillSigns bool
	)
	err := d.Tenants.InTenantRead(ctx, j.Tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT url, enabled, failing_since IS NOT NULL, secret, previous_secret,
			coalesce(previous_until > now(), false) FROM webhooks WHERE id = $1`, j.Webhook).
			Scan(&t.URL, &t.Enabled, &t.Failing, &secret, &prev, &prevStillSigns)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows) || usererr.Is(err, usererr.NotFound):
		return t, errGone
	case err != nil:
		return t, fmt.Errorf("read webhook: %w", err)
	}
	t.Secrets = [][]byte{secret}
	if prevStillSigns && len(prev) > 0 {
		t.Secrets = append(t.Secrets, prev)
	}
	return t, nil
}
