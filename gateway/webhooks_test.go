package gateway_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/gateway/webhook/sign"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/tenants"
)

// TestWebhookLifecycle: create shows the secret once; reads never do;
// PATCH and DELETE honour If-Match; rotation keeps the old secret signing
// for 24 h; each write emits its event, naming the caller and neither the
// secret nor the URL's path.
func TestWebhookLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.populate(e.signup("Hooks"))
	tok := o.tokens[tenants.Admin]
	ctx := context.Background()

	created := e.must(201, "POST", api("webhooks"), tok, obj{"url": "https://" + publicHost + "/in/T0K3N?x=1",
		"event_types": arr{"workload.*", "policy.provisioned"}, "description": "SIEM"})
	tag := etagOf(t, created)
	h := decode[webhookOut](t, created)
	if h.Secret == nil || !strings.HasPrefix(*h.Secret, sign.SecretPrefix) || !h.Enabled || h.Description != "SIEM" ||
		!slices.Equal(h.EventTypes, []string{"workload.*", "policy.provisioned"}) || h.PreviousSecretUntil != nil {
		t.Fatalf("created: %s", created.body)
	}
	key, err := sign.ParseSecret(*h.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if got := storedSecrets(t, e, o.tenant, h.ID); string(got[0]) != string(key) || got[1] != nil {
		t.Fatalf("stored secret is not the one shown")
	}

	for _, r := range []resp{e.must(200, "GET", hookPath(h.ID), tok, nil), e.must(200, "GET", api("webhooks"), tok, nil)} {
		if strings.Contains(string(r.body), "whsec_") || strings.Contains(string(r.body), base64.StdEncoding.EncodeToString(key)) {
			t.Fatalf("a read shows the secret: %s", r.body)
		}
	}
	if got := etagOf(t, e.must(200, "GET", hookPath(h.ID), tok, nil)); got != tag {
		t.Fatalf("GET ETag %s, create said %s", got, tag)
	}

	// Pagination, oldest first.
	second := e.webhook(tok, hookBody("second"))
	p1 := decode[page[webhookOut]](t, e.must(200, "GET", api("webhooks?limit=1"), tok, nil))
	if len(p1.Items) != 1 || p1.Items[0].ID != h.ID || p1.NextCursor == nil {
		t.Fatalf("page 1: %+v", p1)
	}
	p2 := decode[page[webhookOut]](t, e.must(200, "GET", api("webhooks?limit=1&cursor="+*p1.NextCursor), tok, nil))
	if len(p2.Items) != 1 || p2.Items[0].ID != second.ID || p2.NextCursor != nil {
		t.Fatalf("page 2: %+v", p2)
	}

	// PATCH: a stale tag changes nothing; a fresh one changes only what is given.
	wantProblem(t, e.call("PATCH", hookPath(h.ID), tok, obj{"description": "x"}, "If-Match", `"999999"`), 412, "If-Match")
	r := e.call("PATCH", hookPath(h.ID), tok, obj{"enabled": false, "event_types": arr{"*.deleted"}}, "If-Match", tag)
	if r.status != 200 {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	patched := decode[webhookOut](t, r)
	if patched.Enabled || !slices.Equal(patched.EventTypes, []string{"*.deleted"}) || patched.Description != "SIEM" ||
		patched.URL != h.URL || patched.Secret != nil || etagOf(t, r) == tag {
		t.Fatalf("patched: %s", r.body)
	}
	if got := decode[webhookOut](t, e.must(200, "PATCH", hookPath(h.ID), tok, obj{})); got.UpdatedAt != patched.UpdatedAt {
		t.Errorf("an empty PATCH changed the webhook")
	}

	// Rotation: a new secret, the old one kept as previous for 24 h.
	before := time.Now()
	rot := decode[webhookOut](t, e.must(200, "POST", hookPath(h.ID, "rotate-secret"), tok, nil))
	if rot.Secret == nil || *rot.Secret == *h.Secret || rot.PreviousSecretUntil == nil ||
		rot.PreviousSecretUntil.Before(before.Add(24*time.Hour-time.Minute)) || rot.PreviousSecretUntil.After(time.Now().Add(24*time.Hour+time.Minute)) {
		t.Fatalf("rotated: %+v", rot)
	}
	newKey, _ := sign.ParseSecret(*rot.Secret)
	if got := storedSecrets(t, e, o.tenant, h.ID); string(got[0]) != string(newKey) || string(got[1]) != string(key) {
		t.Fatalf("after rotation: stored secrets are not new, old")
	}
	if got := decode[webhookOut](t, e.must(200, "GET", hookPath(h.ID), tok, nil)); got.PreviousSecretUntil == nil || got.Secret != nil {
		t.Fatalf("GET after rotation: %+v", got)
	}
	// A second rotation within the grace would drop the old secret under
	// its receivers: refused, and nothing changes.
	if r := e.must(409, "POST", hookPath(h.ID, "rotate-secret"), tok, nil); !strings.Contains(string(r.body), "still signs until") {
		t.Fatalf("second rotation: %s", r.body)
	}
	if got := storedSecrets(t, e, o.tenant, h.ID); string(got[0]) != string(newKey) || string(got[1]) != string(key) {
		t.Fatalf("after a refused rotation: stored secrets changed")
	}

	// Delete with a stale tag: 412; then gone, with its deliveries.
	e.ping(tok, second.ID)
	wantProblem(t, e.call("DELETE", hookPath(second.ID), tok, nil, "If-Match", `"999999"`), 412, "If-Match")
	e.must(204, "DELETE", hookPath(second.ID), tok, nil)
	wantProblem(t, e.call("GET", hookPath(second.ID), tok, nil), 404, "")
	var n int
	if err := e.store.Pool().QueryRow(ctx, `SELECT count(*) FROM remora.webhook_deliveries WHERE webhook_id = $1`, second.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d deliveries of a deleted webhook left, %v", n, err)
	}

	// The events, in order, by the admin, about the right webhooks.
	evs := e.storedEvents(o.tenant, "webhook.%")
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Type+" "+ev.Resource.ID)
		if ev.Actor.Type != "user" || ev.Actor.ID != o.users[tenants.Admin] || ev.Resource.Type != "webhook" {
			t.Errorf("%s: actor %+v, resource %+v", ev.Type, ev.Actor, ev.Resource)
		}
		if ev.Data["url_host"] != publicHost {
			t.Errorf("%s: data %v, want url_host %s", ev.Type, ev.Data, publicHost)
		}
	}
	want := []string{"webhook.created " + h.ID, "webhook.created " + second.ID, "webhook.updated " + h.ID,
		"webhook.secret_rotated " + h.ID, "webhook.deleted " + second.ID}
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ch := evs[2].Data["changed"]; len(ch.([]any)) != 2 {
		t.Errorf("webhook.updated data: %v, want changed [enabled event_types]", evs[2].Data)
	}
	all := e.call("GET", api("webhooks"), tok, nil) // nothing here either
	for _, s := range []string{*h.Secret, *rot.Secret, "T0K3N"} {
		for _, ev := range evs {
			if strings.Contains(ev.Type+ev.Resource.ID, s) || strings.Contains(string(mustJSON(t, ev.Data)), s) {
				t.Errorf("event %s carries %q", ev.Type, s)
			}
		}
		if s != "T0K3N" && strings.Contains(string(all.body), s) {
			t.Errorf("the list carries a secret")
		}
	}
}

// TestWebhookEventsFanOut: webhook writes are events like any other: a
// webhook subscribed to webhook.* gets the others' changes queued, one
// that is disabled or subscribed elsewhere does not; a ping goes to its
// own webhook alone and is not in the audit log.
func TestWebhookEventsFanOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.signup("Fan-out")
	watcher := e.webhook(o.owner, hookBody("watcher", "webhook.*"))
	other := e.webhook(o.owner, hookBody("other", "workload.*"))
	off := e.webhook(o.owner, obj{"url": "https://" + publicHost + "/off", "event_types": arr{"*"}, "enabled": false})
	e.must(200, "PATCH", hookPath(other.ID), o.owner, obj{"description": "renamed"})
	ping := e.ping(o.owner, other.ID)
	if ping.EventType != "webhook.ping" || ping.Status != "pending" || ping.WebhookID != other.ID || ping.NextAttemptAt == nil || len(ping.Attempts) != 0 {
		t.Fatalf("ping: %+v", ping)
	}

	types := func(id string) []string {
		ds := decode[page[deliveryOut]](t, e.must(200, "GET", hookPath(id, "deliveries"), o.owner, nil)).Items
		var out []string
		for _, d := range ds {
			out = append(out, d.EventType)
		}
		return out
	}
	// The watcher's own creation is queued for it too: it was enabled
	// when its event was emitted.
	if got, want := types(watcher.ID), []string{"webhook.created", "webhook.created", "webhook.created", "webhook.updated"}; !slices.Equal(got, want) {
		t.Errorf("watcher's deliveries %v, want %v", got, want)
	}
	if got := types(other.ID); !slices.Equal(got, []string{"webhook.ping"}) {
		t.Errorf("other's deliveries %v, want only its ping", got)
	}
	if got := types(off.ID); len(got) != 0 {
		t.Errorf("a disabled webhook got deliveries %v", got)
	}
	if evs := e.storedEvents(o.tenant, "webhook.ping"); len(evs) != 0 {
		t.Errorf("a ping is in the audit log: %+v", evs)
	}
}

// TestWebhookRedeliver: a failed delivery becomes pending again, due now,
// same id; not while an attempt is under way, nor while the webhook is
// disabled; tests refuse a disabled webhook too.
func TestWebhookRedeliver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.signup("Redeliver")
	h := e.webhook(o.owner, hookBody("r", "workload.*"))
	d := e.ping(o.owner, h.ID)
	e.execSQL(`UPDATE remora.webhook_deliveries SET status = 'failed', attempts = 8, next_attempt_at = now() - interval '1 day' WHERE id = $1`, d.ID)
	e.execSQL(`INSERT INTO remora.webhook_attempts (delivery_id, attempt, status_code, latency_ms, response_excerpt) VALUES ($1, 8, 503, 12, 'busy')`, d.ID)
	failed := decode[page[deliveryOut]](t, e.must(200, "GET", hookPath(h.ID, "deliveries"), o.owner, nil)).Items[0]
	if failed.Status != "failed" || failed.NextAttemptAt != nil || len(failed.Attempts) != 1 || *failed.Attempts[0].StatusCode != 503 ||
		failed.Attempts[0].ResponseExcerpt != "busy" || failed.Attempts[0].LatencyMS != 12 {
		t.Fatalf("failed delivery: %+v", failed)
	}

	start := time.Now()
	again := decode[deliveryOut](t, e.must(202, "POST", hookPath(h.ID, "deliveries", d.ID, "redeliver"), o.owner, nil))
	if again.ID != d.ID || again.Status != "pending" || again.NextAttemptAt == nil || again.NextAttemptAt.After(time.Now().Add(time.Second)) ||
		again.NextAttemptAt.Before(start.Add(-time.Minute)) || len(again.Attempts) != 1 {
		t.Fatalf("redelivered: %+v", again)
	}

	e.execSQL(`UPDATE remora.webhook_deliveries SET leased_until = now() + interval '1 minute' WHERE id = $1`, d.ID)
	wantProblem(t, e.call("POST", hookPath(h.ID, "deliveries", d.ID, "redeliver"), o.owner, nil), 409, "")
	e.execSQL(`UPDATE remora.webhook_deliveries SET leased_until = now() - interval '1 second' WHERE id = $1`, d.ID)
	e.must(202, "POST", hookPath(h.ID, "deliveries", d.ID, "redeliver"), o.owner, nil)

	e.must(200, "PATCH", hookPath(h.ID), o.owner, obj{"enabled": false})
	wantProblem(t, e.call("POST", hookPath(h.ID, "deliveries", d.ID, "redeliver"), o.owner, nil), 409, "")
	wantProblem(t, e.call("POST", hookPath(h.ID, "test"), o.owner, nil), 409, "")
	wantProblem(t, e.call("POST", hookPath(h.ID, "deliveries", newID(), "redeliver"), o.owner, nil), 404, "")
}

// storedSecrets returns a webhook's current and previous keys as stored.
func storedSecrets(t *testing.T, e *env, tenant, id string) [2][]byte {
	t.Helper()
	var out [2][]byte
	err := e.store.InTenant(context.Background(), ids.TenantID(tenant), func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT secret, previous_secret FROM webhooks WHERE id = $1`, id).Scan(&out[0], &out[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
