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

// The actor types.
const (
	ActorUser      = "user"
	ActorAPIKey    = "api_key"
	ActorVEN       = "ven"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// System is the actor of what the PCE does by itself (a VEN going offline,
// a retention sweep).
var System = Actor{Type: ActorSystem}

// Anonymous is the actor of an unauthenticated request (a failed login, a
// signup or pairing before its user or VEN exists).
var Anonymous = Actor{Type: ActorAnonymous}

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
	evs, err := EmitAll(ctx, tx, tenant, []Pending{{Type: typ, Resource: res, Data: data}})
	if err != nil {
		return Event{}, err
	}
	return evs[0], nil
}

// Pending is an event to emit: what Emit takes, for EmitAll.
type Pending struct {
	Type     string
	Resource Resource
	Data     any // any JSON value; nil for none
}

// EmitAll is Emit for many events of one change (a bulk write: one event
// per workload), in two statements whatever their number. The events are
// stored in the order given, and returned in it.
func EmitAll(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, ps []Pending) ([]Event, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	actor := ActorOf(ctx)
	evs := make([]Event, len(ps))
	idList, types := make([]string, len(ps)), make([]string, len(ps))
	resources, datas := make([]json.RawMessage, len(ps)), make([]json.RawMessage, len(ps))
	for i, p := range ps {
		if !typeRE.MatchString(p.Type) {
			return nil, fmt.Errorf("emit: event type %q is not resource.verb", p.Type)
		}
		ev := Event{ID: ids.New(), Type: p.Type, Actor: actor, Resource: p.Resource, Data: json.RawMessage(`{}`)}
		if p.Data != nil {
			b, err := json.Marshal(p.Data)
			if err != nil {
				return nil, fmt.Errorf("emit %s: encode data: %w", p.Type, err)
			}
			ev.Data = b
		}
		res, err := json.Marshal(ev.Resource)
		if err != nil {
			return nil, fmt.Errorf("emit %s: encode resource: %w", p.Type, err)
		}
		evs[i], idList[i], types[i], resources[i], datas[i] = ev, ev.ID, ev.Type, res, ev.Data
	}
	what := ps[0].Type
	if len(ps) > 1 {
		what = fmt.Sprintf("%d events", len(ps))
	}
	// Rows are inserted in the order given, so created_at (clock_timestamp)
	// follows it; RETURNING promises no order, hence the lookup by id.
	rows, err := tx.Query(ctx, `INSERT INTO events (id, type, actor, resource, data)
		SELECT id, type, $3, resource, data FROM unnest($1::uuid[], $2::text[], $4::jsonb[], $5::jsonb[])
			WITH ORDINALITY AS t(id, type, resource, data, n) ORDER BY n
		RETURNING id::text, created_at`, idList, types, actor, resources, datas)
	if err != nil {
		return nil, fmt.Errorf("emit %s: %w", what, err)
	}
	at := make(map[string]time.Time, len(ps))
	var (
		id string
		t  time.Time
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &t}, func() error { at[id] = t; return nil }); err != nil {
		return nil, fmt.Errorf("emit %s: %w", what, err)
	}
	for i := range evs {
		evs[i].CreatedAt = at[evs[i].ID]
	}
	if err := fanOut(ctx, tx, tenant, evs); err != nil {
		return nil, fmt.Errorf("emit %s: %w", what, err)
	}
	return evs, nil
}

// fanOut queues each of evs for every enabled webhook whose patterns match
// its type.
func fanOut(ctx context.Context, tx pgx.Tx, tenant ids.TenantID, evs []Event) error {
	idList, types, payloads := make([]string, len(evs)), make([]string, len(evs)), make([]json.RawMessage, len(evs))
	for i, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		idList[i], types[i], payloads[i] = ev.ID, ev.Type, b
	}
	_, err := tx.Exec(ctx, `INSERT INTO remora.webhook_deliveries (tenant_id, webhook_id, event_id, event_type, payload)
		SELECT $1, w.id, e.id, e.type, e.payload FROM webhooks w
		CROSS JOIN unnest($2::uuid[], $3::text[], $4::jsonb[]) AS e(id, type, payload)
		WHERE w.enabled AND EXISTS (SELECT 1 FROM unnest(w.patterns) p WHERE e.type LIKE p)`, tenant, idList, types, payloads)
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
