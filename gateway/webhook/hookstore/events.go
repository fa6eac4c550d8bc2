package hookstore

import (
	"context"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
)

// emit records a webhook event within tx.
func emit(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, typ string, w Webhook, data map[string]any) error {
	_, err := outbox.Emit(ctx, tx, tenant, typ, Resource(w.ID), data)
	return err
}

// Resource names webhook id in events.
func Resource(id string) outbox.Resource { return outbox.Resource{Type: "webhook", ID: id} }

// summary is what a webhook event says about the webhook. It names the
// URL's host only: the path and query of a receiver URL are often its
// credential (a chat service's incoming-webhook token), and events reach
// people and systems that may not see webhook settings.
func summary(w Webhook) map[string]any {
	host := ""
	if u, err := url.Parse(w.URL); err == nil {
		host = u.Host
	}
	return map[string]any{"url_host": host, "event_types": w.EventTypes, "enabled": w.Enabled}
}
