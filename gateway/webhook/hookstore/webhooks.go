package hookstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/gateway/webhook/sign"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/usererr"
)

// webhookSelect reads what scanWebhook scans. The previous secret's end is
// shown only while it still signs.
const webhookSelect = `SELECT id, url, event_types, description, enabled, coalesce(disabled_reason, ''), failing_since,
	CASE WHEN previous_until > now() THEN previous_until END, revision, created_at, updated_at FROM webhooks`

func scanWebhook(r pgx.Row) (Webhook, error) {
	var w Webhook
	err := r.Scan(&w.ID, &w.URL, &w.EventTypes, &w.Description, &w.Enabled, &w.DisabledReason, &w.FailingSince,
		&w.PreviousUntil, &w.Revision, &w.CreatedAt, &w.UpdatedAt)
	return w, err
}

// List returns one page of the tenant's webhooks, oldest first.
func (s *Store) List(ctx context.Context, tenant ids.TenantID, pr page.Request) ([]Webhook, string, error) {
	type result struct {
		items []Webhook
		next  string
	}
	r, err := read(ctx, s, tenant, "list webhooks", func(tx pgx.Tx) (result, error) {
		items, next, err := pg.ListPage(ctx, tx, webhookSelect+` WHERE true`, "", nil, pr,
			func(r pgx.CollectableRow) (Webhook, error) { return scanWebhook(r) },
			func(w Webhook) page.Key { return page.Key{Time: w.CreatedAt, ID: w.ID} })
		return result{items, next}, err
	})
	return r.items, r.next, err
}

// Get returns one webhook.
func (s *Store) Get(ctx context.Context, tenant ids.TenantID, id string) (Webhook, error) {
	return read(ctx, s, tenant, "get webhook", func(tx pgx.Tx) (Webhook, error) { return get(ctx, tx, id, "") })
}

// get reads webhook id within tx, taking lock ("" or a row-locking clause).
// A malformed id is simply not found.
func get(ctx context.Context, tx pgx.Tx, id, lock string) (Webhook, error) {
	if !ids.Valid(id) {
		return Webhook{}, errWebhookNotFound
	}
	w, err := scanWebhook(tx.QueryRow(ctx, webhookSelect+` WHERE id = $1 `+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return w, errWebhookNotFound
	}
	if err != nil {
		return w, fmt.Errorf("read webhook: %w", err)
	}
	return w, nil
}

// Create adds a webhook and returns it with its signing secret, in the
// text form (whsec_…) shown to the user this once.
func (s *Store) Create(ctx context.Context, tenant ids.TenantID, in Input) (Webhook, string, error) {
	patterns, err := s.validate(ctx, Patch{URL: &in.URL, EventTypes: &in.EventTypes, Description: &in.Description})
	if err != nil {
		return Webhook{}, "", fmt.Errorf("create webhook: %w", err)
	}
	secret, key, err := newSecret()
	if err != nil {
		return Webhook{}, "", fmt.Errorf("create webhook: %w", err)
	}
	w, err := write(ctx, s, tenant, "create webhook", func(tx pgx.Tx) (Webhook, error) {
		id := ids.New()
		_, err := tx.Exec(ctx, `INSERT INTO webhooks (id, url, event_types, patterns, description, enabled, secret)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, in.URL, in.EventTypes, patterns, in.Description, in.Enabled, key)
		if err != nil {
			return Webhook{}, fmt.Errorf("insert: %w", err)
		}
		w, err := get(ctx, tx, id, "")
		if err != nil {
			return w, err
		}
		return w, emit(ctx, tx, tenant, "webhook.created", w, summary(w))
	})
	if err != nil {
		return Webhook{}, "", err
	}
	return w, secret, nil
}

// Update applies p to webhook id. ifMatch, when set, must hold the
// webhook's current ETag. A new URL, or enabling the webhook, restarts
// the failure clock; enabling also clears why the dispatcher disabled it.
// A patch that sets nothing changes nothing and emits no event.
func (s *Store) Update(ctx context.Context, tenant ids.TenantID, id string, p Patch, ifMatch string) (Webhook, error) {
	patterns, err := s.validate(ctx, p)
	if err != nil {
		return Webhook{}, fmt.Errorf("update webhook: %w", err)
	}
	return write(ctx, s, tenant, "update webhook", func(tx pgx.Tx) (Webhook, error) {
		cur, err := get(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return cur, err
		}
		if err := checkIfMatch(ifMatch, cur.Revision); err != nil {
			return cur, err
		}
		changed := p.fields()
		if len(changed) == 0 {
			return cur, nil
		}
		enabling := p.Enabled != nil && *p.Enabled && !cur.Enabled
		_, err = tx.Exec(ctx, `UPDATE webhooks SET url = coalesce($2, url), event_types = coalesce($3, event_types),
			patterns = coalesce($4, patterns), description = coalesce($5, description), enabled = coalesce($6, enabled),
			failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END,
			disabled_reason = CASE WHEN $8 THEN NULL ELSE disabled_reason END,
			revision = nextval('revisions'), updated_at = now() WHERE id = $1`,
			id, p.URL, p.EventTypes, patterns, p.Description, p.Enabled, p.URL != nil || enabling, enabling)
		if err != nil {
			return cur, fmt.Errorf("write: %w", err)
		}
		w, err := get(ctx, tx, id, "")
		if err != nil {
			return w, err
		}
		data := summary(w)
		data["changed"] = changed
		return w, emit(ctx, tx, tenant, "webhook.updated", w, data)
	})
}

// fields names the fields p sets, in the API's words.
func (p Patch) fields() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"url", p.URL != nil}, {"event_types", p.EventTypes != nil}, {"description", p.Description != nil}, {"enabled", p.Enabled != nil}} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// Delete removes webhook id and its whole delivery log: deliveries not yet
// made are dropped with it. ifMatch as for Update.
func (s *Store) Delete(ctx context.Context, tenant ids.TenantID, id, ifMatch string) error {
	_, err := write(ctx, s, tenant, "delete webhook", func(tx pgx.Tx) (struct{}, error) {
		cur, err := get(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return struct{}{}, err
		}
		if err := checkIfMatch(ifMatch, cur.Revision); err != nil {
			return struct{}{}, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id); err != nil {
			return struct{}{}, fmt.Errorf("delete: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM remora.webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2`, tenant, id); err != nil {
			return struct{}{}, fmt.Errorf("delete deliveries: %w", err)
		}
		// Emitted once the webhook is gone, so it is not queued for it.
		return struct{}{}, emit(ctx, tx, tenant, "webhook.deleted", cur, summary(cur))
	})
	return err
}

// RotateSecret gives webhook id a new signing secret, returned in text
// form; the current one becomes the previous one and keeps signing for
// Grace. A second rotation while the previous secret is in its grace is
// refused (409): it would drop that secret at once, under the receivers
// still holding it.
func (s *Store) RotateSecret(ctx context.Context, tenant ids.TenantID, id string) (Webhook, string, error) {
	secret, key, err := newSecret()
	if err != nil {
		return Webhook{}, "", fmt.Errorf("rotate webhook secret: %w", err)
	}
	w, err := write(ctx, s, tenant, "rotate webhook secret", func(tx pgx.Tx) (Webhook, error) {
		cur, err := get(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return Webhook{}, err
		}
		if cur.PreviousUntil != nil && cur.PreviousUntil.After(time.Now()) {
			return Webhook{}, usererr.New(usererr.Conflict, fmt.Sprintf(
				"the previous secret still signs until %s: rotate again after that, or receivers holding it would fail",
				cur.PreviousUntil.UTC().Format(time.RFC3339)))
		}
		_, err = tx.Exec(ctx, `UPDATE webhooks SET previous_secret = secret, previous_until = now() + $2 * interval '1 second',
			secret = $3, revision = nextval('revisions'), updated_at = now() WHERE id = $1`, id, int64(Grace.Seconds()), key)
		if err != nil {
			return Webhook{}, fmt.Errorf("write: %w", err)
		}
		w, err := get(ctx, tx, id, "")
		if err != nil {
			return w, err
		}
		data := summary(w)
		data["previous_secret_until"] = w.PreviousUntil
		return w, emit(ctx, tx, tenant, "webhook.secret_rotated", w, data)
	})
	if err != nil {
		return Webhook{}, "", err
	}
	return w, secret, nil
}

// newSecret returns a fresh secret in text form and as the HMAC key stored.
func newSecret() (text string, key []byte, err error) {
	text, err = sign.NewSecret()
	if err != nil {
		return "", nil, err
	}
	key, err = sign.ParseSecret(text)
	return text, key, err
}
