// Package outbox records events: the audit log, and the queue of webhook
// deliveries. Emit runs inside the transaction of the change it reports,
// so an event exists if and only if its change committed; the deliveries
// of the webhooks that match it are queued in the same transaction, and a
// dispatcher sends them later (at least once).
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/ids"
)

// Actor is who caused an event.
type Actor struct {
	Type string `json:"type"`         // user, api_key, ven, system, anonymous
	ID   string `json:"id,omitempty"` // the user, key or VEN; empty for system and anonymous
}

// System is the actor of what the PCE does by itself (a VEN going offline,
// a retention sweep).
var System = Actor{Type: "system"}

// Resource is what an event is about.
type Resource struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Event is one state change, as stored and delivered.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"` // resource.verb, e.g. workload.created
	Actor     Actor           `json:"actor"`
	Resource  Resource        `json:"resource"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}

type actorKey struct{}

// WithActor returns ctx carrying the actor of the request it belongs to:
// the gateway sets it once, after authentication, and every event emitted
// under ctx names it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf returns the actor ctx carries, System when none.
func ActorOf(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

var typeRE = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

// Emit records an event of type typ about res, with data (any JSON value;
// nil for none), within tx: a transaction of tenant whose search_path is
// the tenant's schema. It queues one delivery per enabled webhook of the
// tenant whose event types match. It returns the event.
func Emit(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, typ string, res Resource, data any) (Event, error) {
	if !typeRE.MatchString(typ) {
		return Event{}, fmt.Errorf("emit: event type %q is not resource.verb", typ)
	}
	ev := Event{ID: ids.New(), Type: typ, Actor: ActorOf(ctx), Resource: res, Data: json.RawMessage(`{}`)}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return Event{}, fmt.Errorf("emit %s: encode data: %w", typ, err)
		}
		ev.Data = b
	}
	err := tx.QueryRow(ctx, `INSERT INTO events (id, type, actor, resource, data) VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
		ev.ID, ev.Type, ev.Actor, ev.Resource, ev.Data).Scan(&ev.CreatedAt)
	if err != nil {
		return Event{}, fmt.Errorf("emit %s: %w", typ, err)
	}
	if err := fanOut(ctx, tx, tenant, ev); err != nil {
		return Event{}, fmt.Errorf("emit %s: %w", typ, err)
	}
	return ev, nil
}

// fanOut queues ev for every enabled webhook whose patterns match its type.
func fanOut(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, ev Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO remora.webhook_deliveries (tenant_id, webhook_id, event_id, event_type, payload)
		SELECT $1, w.id, $2, $3, $4 FROM webhooks w
		WHERE w.enabled AND EXISTS (SELECT 1 FROM unnest(w.patterns) p WHERE $3 LIKE p)`, tenant, ev.ID, ev.Type, payload)
	if err != nil {
		return fmt.Errorf("queue webhook deliveries: %w", err)
	}
	return nil
}

// Pattern turns an event-type glob ("workload.*", "*", "policy.provisioned")
// into the LIKE pattern fanOut matches with: * is any run of characters;
// LIKE's own wildcards are escaped. ok is false for a glob with characters
// an event type cannot have.
func Pattern(glob string) (string, bool) {
	if glob == "" || len(glob) > 100 {
		return "", false
	}
	out := make([]byte, 0, len(glob)+4)
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; {
		case c == '*':
			out = append(out, '%')
		case c == '_':
			out = append(out, '\\', '_')
		case c >= 'a' && c <= 'z' || c == '.':
			out = append(out, c)
		default:
			return "", false
		}
	}
	return string(out), true
}
