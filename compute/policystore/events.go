package policystore

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
)

// Every write here records its events (infra/outbox) in its own
// transaction, so an event exists if and only if its change committed.
// The actor is the one the caller's context carries (the gateway sets it
// from the request's principal). Event data holds what a reader of the
// audit log or a webhook needs to make sense of the change without a
// lookup (names, keys, counts), never whole documents: a ruleset can be
// large, and the API serves it.

// emit records one event of tenant within tx.
func emit(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, typ string, res outbox.Resource, data any) error {
	_, err := outbox.Emit(ctx, tx, tenant, typ, res, data)
	return err
}

func labelEvent(verb string, l policy.Label) outbox.Pending {
	return outbox.Pending{Type: "label." + verb, Resource: outbox.Resource{Type: "label", ID: string(l.ID)},
		Data: map[string]any{"key": l.Key, "value": l.Value}}
}

func dimensionEvent(verb, key string) outbox.Pending {
	return outbox.Pending{Type: "label_dimension." + verb, Resource: outbox.Resource{Type: "label_dimension", ID: key},
		Data: map[string]any{"key": key}}
}

// workloadEvents are one event per workload of recs.
func workloadEvents(verb string, recs []WorkloadRecord) []outbox.Pending {
	out := make([]outbox.Pending, len(recs))
	for i, w := range recs {
		out[i] = outbox.Pending{Type: "workload." + verb, Resource: outbox.Resource{Type: "workload", ID: string(w.ID)},
			Data: map[string]any{"name": w.Name, "hostname": w.Hostname, "enforcement_mode": w.Mode, "managed": w.Managed,
				"labels": nonNil(w.Labels)}}
	}
	return out
}

// versionResource is a provisioned version; draftResource the draft.
func versionResource(n int) outbox.Resource {
	return outbox.Resource{Type: "policy_version", ID: strconv.Itoa(n)}
}

var draftResource = outbox.Resource{Type: "policy_draft", ID: "draft"}

func changeCounts(c Changes) map[string]any {
	return map[string]any{"added": len(c.Added), "changed": len(c.Changed), "removed": len(c.Removed)}
}

// emitAll records events of tenant within tx, in order.
func emitAll(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, ps ...outbox.Pending) error {
	_, err := outbox.EmitAll(ctx, tx, tenant, ps)
	return err
}
