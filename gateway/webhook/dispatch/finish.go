package dispatch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/gateway/webhook/hookstore"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// logAttempt is the statement that logs attempt $2 of delivery $1 and
// moves the delivery to status $8, due again after $9 ms when pending.
// The delivery's row changes only if it is still at this attempt: if our
// lease ran out and another dispatcher took the delivery over, its
// attempt decides, and ours is merely logged. One statement, so the log
// and the delivery never disagree, in one round trip.
const logAttempt = `WITH logged AS (
		INSERT INTO remora.webhook_attempts (delivery_id, attempt, attempted_at, status_code, error, latency_ms, response_excerpt)
		VALUES ($1, $2, $3, $4, $5, $6, $7))
	UPDATE remora.webhook_deliveries SET status = $8, leased_until = NULL, updated_at = now(),
		next_attempt_at = CASE WHEN $8 = 'pending' THEN clock_timestamp() + $9 * interval '1 millisecond' ELSE next_attempt_at END
	WHERE id = $1 AND attempts = $2`

// finish records res as attempt j.Attempt and moves the delivery on:
// delivered, due again after the schedule's next delay, or failed when the
// schedule is spent (or the webhook is disabled). A success of a webhook
// that was not failing touches the queue alone, in one statement: the
// common case stays cheap. Otherwise the webhook's failure clock is kept
// in the same transaction, in the tenant's schema, disabling a webhook
// that has failed for DisableAfter.
func (d *Dispatcher) finish(ctx context.Context, j job, t target, res result) error {
	status, delay := "delivered", time.Duration(0)
	if !res.ok() {
		var retry bool
		delay, retry = d.Schedule.Next(j.Attempt, d.Rand)
		status = "failed"
		if retry && t.Enabled {
			status = "pending"
		}
	}
	var code *int
	if res.StatusCode != 0 {
		code = &res.StatusCode
	}
	args := []any{j.ID, j.Attempt, res.At, code, res.Error, res.Latency.Milliseconds(), res.Excerpt, status, delay.Milliseconds()}

	var err error
	if res.ok() && !t.Failing {
		_, err = d.Tenants.Pool().Exec(ctx, logAttempt, args...)
	} else {
		err = d.Tenants.InTenant(ctx, j.Tenant, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, logAttempt, args...); err != nil {
				return err
			}
			switch {
			case res.ok():
				_, err := tx.Exec(ctx, `UPDATE webhooks SET failing_since = NULL WHERE id = $1`, j.Webhook)
				return err
			case t.Enabled:
				return d.noteFailure(ctx, tx, j, res)
			}
			return nil // nothing was sent: no failure of the receiver's
		})
	}
	switch {
	case pg.IsForeignKeyViolation(err) || errors.Is(err, errGone) || usererr.Is(err, usererr.NotFound):
		return nil // deleted with its webhook or tenant meanwhile
	case err != nil:
		return fmt.Errorf("finish delivery %s attempt %d: %w", j.ID, j.Attempt, err)
	}
	return nil
}

// noteFailure starts the webhook's failure clock if it is not running,
// and disables the webhook once the clock has run DisableAfter: an
// endpoint gone for good would otherwise take retries forever. The event
// webhook.disabled tells the tenant; enabling the webhook again restarts
// the clock.
func (d *Dispatcher) noteFailure(ctx context.Context, tx pgx.Tx, j job, res result) error {
	var (
		since            time.Time
		enabled, expired bool
	)
	err := tx.QueryRow(ctx, `UPDATE webhooks SET failing_since = coalesce(failing_since, now()) WHERE id = $1
		RETURNING failing_since, enabled, failing_since <= now() - $2 * interval '1 millisecond'`,
		j.Webhook, d.DisableAfter.Milliseconds()).Scan(&since, &enabled, &expired)
	if errors.Is(err, pgx.ErrNoRows) {
		return errGone
	}
	if err != nil {
		return fmt.Errorf("note failure: %w", err)
	}
	if !enabled || !expired {
		return nil
	}
	reason := fmt.Sprintf("disabled by Remora: no delivery has succeeded since %s; the last attempt: %s",
		since.UTC().Format(time.RFC3339), res.summary())
	if _, err := tx.Exec(ctx, `UPDATE webhooks SET enabled = false, disabled_reason = $2, revision = nextval('revisions'),
		updated_at = now() WHERE id = $1`, j.Webhook, reason); err != nil {
		return fmt.Errorf("disable webhook: %w", err)
	}
	_, err = outbox.Emit(outbox.WithActor(ctx, outbox.System), tx, j.Tenant, "webhook.disabled", hookstore.Resource(j.Webhook),
		map[string]any{"failing_since": since.UTC(), "reason": reason})
	return err
}

// summary is a failed attempt in a few words.
func (r result) summary() string {
	if r.StatusCode != 0 {
		return "HTTP " + strconv.Itoa(r.StatusCode)
	}
	return r.Error
}
