package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/gateway/webhook/ssrf"
	"github.com/remora-sec/remora/gateway/webhook/ssrf/ssrftest"
	"github.com/remora-sec/remora/infra/ids"
)

// This file holds the helpers of the webhook API tests (webhooks_*_test.go).
// No dispatcher runs in these tests: deliveries are only queued, so the
// public addresses below are checked, never dialed.

// Host names the test guard's DNS answers.
const (
	publicHost  = "hooks.example.test"   // a public address
	privateHost = "private.example.test" // 10.0.0.1: refused
)

// webhookGuard is the strict guard of production (https only, public
// addresses only, no allowlist) with a resolver that asks a DNS server of
// the test's own, so no lookup leaves the machine.
func webhookGuard(t *testing.T) *ssrf.Guard {
	dns := ssrftest.NewDNS(t)
	dns.Set(publicHost, "93.184.216.34")
	dns.Set(privateHost, "10.0.0.1")
	return &ssrf.Guard{Resolver: dns.Resolver()}
}

// Shapes of the webhook answers, as far as the tests look at them.
type (
	webhookOut struct {
		ID                  string     `json:"id"`
		URL                 string     `json:"url"`
		EventTypes          []string   `json:"event_types"`
		Description         string     `json:"description"`
		Enabled             bool       `json:"enabled"`
		DisabledReason      *string    `json:"disabled_reason"`
		FailingSince        *time.Time `json:"failing_since"`
		PreviousSecretUntil *time.Time `json:"previous_secret_until"`
		Secret              *string    `json:"secret"`
		CreatedAt           time.Time  `json:"created_at"`
		UpdatedAt           time.Time  `json:"updated_at"`
	}
	deliveryOut struct {
		ID            string     `json:"id"`
		WebhookID     string     `json:"webhook_id"`
		EventID       string     `json:"event_id"`
		EventType     string     `json:"event_type"`
		Status        string     `json:"status"`
		NextAttemptAt *time.Time `json:"next_attempt_at"`
		Attempts      []struct {
			Attempt         int     `json:"attempt"`
			StatusCode      *int    `json:"status_code"`
			LatencyMS       int     `json:"latency_ms"`
			ResponseExcerpt string  `json:"response_excerpt"`
			Error           *string `json:"error"`
		} `json:"attempts"`
	}
	// eventRow is an event as stored, for the checks that writes emit
	// theirs.
	eventRow struct {
		Type     string
		Actor    struct{ Type, ID string }
		Resource struct{ Type, ID string }
		Data     map[string]any
	}
)

// hookBody is a valid webhook for the public test host.
func hookBody(path string, globs ...string) obj {
	if len(globs) == 0 {
		globs = []string{"*"}
	}
	return obj{"url": "https://" + publicHost + "/" + path, "event_types": strs(globs)}
}

func hookPath(id string, rest ...string) string {
	return api(append([]string{"webhooks", id}, rest...)...)
}

// webhook creates a webhook and returns it, secret included.
func (e *env) webhook(tok string, body obj) webhookOut {
	e.t.Helper()
	return decode[webhookOut](e.t, e.must(http.StatusCreated, "POST", api("webhooks"), tok, body))
}

// ping queues a test delivery to webhook id and returns it.
func (e *env) ping(tok, id string) deliveryOut {
	e.t.Helper()
	return decode[deliveryOut](e.t, e.must(http.StatusAccepted, "POST", hookPath(id, "test"), tok, nil))
}

// storedEvents returns the tenant's events of a type glob's LIKE pattern
// ("webhook.%"), oldest first.
func (e *env) storedEvents(tenant, like string) []eventRow {
	e.t.Helper()
	var out []eventRow
	err := e.store.InTenant(context.Background(), ids.TenantID(tenant), func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT type, actor, resource, data FROM events WHERE type LIKE $1 ORDER BY created_at, id`, like)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (eventRow, error) {
			var (
				ev                    eventRow
				actor, resource, data []byte
			)
			if err := r.Scan(&ev.Type, &actor, &resource, &data); err != nil {
				return ev, err
			}
			json.Unmarshal(actor, &ev.Actor)
			json.Unmarshal(resource, &ev.Resource)
			json.Unmarshal(data, &ev.Data)
			return ev, nil
		})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// execSQL runs one statement on the control schema, for tests that put a
// delivery in a state the API cannot (in flight, failed).
func (e *env) execSQL(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.store.Pool().Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatal(err)
	}
}
