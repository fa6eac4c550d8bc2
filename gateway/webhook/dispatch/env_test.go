package dispatch_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/gateway/webhook/backoff"
	"github.com/remora-sec/remora/gateway/webhook/dispatch"
	"github.com/remora-sec/remora/gateway/webhook/hookstore"
	"github.com/remora-sec/remora/gateway/webhook/sign"
	"github.com/remora-sec/remora/gateway/webhook/ssrf"
	"github.com/remora-sec/remora/gateway/webhook/ssrf/ssrftest"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/tenants/tenanttest"
)

// This file holds the dispatcher tests' world: a migrated database with
// tenants, webhooks saved through hookstore, events emitted through
// outbox, HTTP receivers on 127.0.0.1, and dispatchers run for the test.
// Every guard here keeps traffic on loopback (ssrftest.LoopbackOnly).

// loopback is the allowlist of the tests' receivers, the
// REMORA_WEBHOOK_ALLOW a developer would set for a receiver on the PCE's
// own machine.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

type env struct {
	t     testing.TB
	ts    *tenants.Store
	dns   *ssrftest.DNS
	guard *ssrf.Guard // http allowed, loopback allowlisted, the test's DNS
	hooks *hookstore.Store
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ts := tenanttest.NewStore(t)
	dns := ssrftest.NewDNS(t)
	g := (&ssrf.Guard{AllowHTTP: true, Allow: loopback, Resolver: dns.Resolver()}).WithDialHook(ssrftest.LoopbackOnly(t))
	return &env{t: t, ts: ts, dns: dns, guard: g, hooks: hookstore.New(ts, g)}
}

func (e *env) tenant() ids.TenantID {
	e.t.Helper()
	id, _ := tenanttest.Signup(e.t, e.ts)
	return id
}

// hook saves a webhook of tenant to url for globs, and returns it with
// its signing key.
func (e *env) hook(tenant ids.TenantID, url string, globs ...string) (hookstore.Webhook, []byte) {
	e.t.Helper()
	if len(globs) == 0 {
		globs = []string{"test.*"}
	}
	w, secret, err := e.hooks.Create(context.Background(), tenant, hookstore.Input{URL: url, EventTypes: globs, Enabled: true})
	if err != nil {
		e.t.Fatal(err)
	}
	key, err := sign.ParseSecret(secret)
	if err != nil {
		e.t.Fatal(err)
	}
	return w, key
}

// emit records n events "test.happened" in tenant (one transaction each,
// as n separate changes would) and returns their ids.
func (e *env) emit(tenant ids.TenantID, n int) []string {
	e.t.Helper()
	var out []string
	for i := range n {
		err := e.ts.InTenant(context.Background(), tenant, func(tx pgx.Tx) error {
			ev, err := outbox.Emit(context.Background(), tx, tenant, "test.happened", outbox.Resource{Type: "test", ID: fmt.Sprint(i)},
				map[string]any{"n": i, "tenant": tenant, "text": "Zürich — 東京 ✓"})
			out = append(out, ev.ID)
			return err
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// dispatcher returns a dispatcher for tests: fast polling, a schedule of
// the given delays, jitter pinned to none (so delays can be checked).
func (e *env) dispatcher(schedule string) *dispatch.Dispatcher {
	e.t.Helper()
	s, err := backoff.Parse(schedule)
	if err != nil {
		e.t.Fatal(err)
	}
	return &dispatch.Dispatcher{Tenants: e.ts, Guard: e.guard, Schedule: s, Workers: 4, Timeout: 5 * time.Second,
		Poll: 10 * time.Millisecond, Rand: noJitter{}}
}

// noJitter makes backoff.Schedule.Next return the schedule's own delays.
type noJitter struct{}

func (noJitter) Float64() float64 { return 0.5 }

// run runs d until the test ends or stop is called; stop waits for Run to
// return.
func run(t testing.TB, d *dispatch.Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("dispatcher: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// request is one request a receiver got.
type request struct {
	ID   string // webhook-id
	At   time.Time
	Body []byte
	Err  error // verification against the receiver's key
}

// receiver is an HTTP server on 127.0.0.1 that keeps each request,
// verified with its key (sign.Verify) once setKey has given it one, and
// answers with respond's status (204 when respond is nil) and "answer N".
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	key  []byte
	reqs []request
}

func newReceiver(t testing.TB, respond func(n int, r request) int) *receiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return newReceiverOn(t, ln, respond)
}

// newReceiverOn is newReceiver serving ln.
func newReceiverOn(t testing.TB, ln net.Listener, respond func(n int, r request) int) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		req := request{ID: r.Header.Get(sign.HeaderID), At: time.Now(), Body: b}
		rc.mu.Lock()
		if rc.key != nil {
			req.Err = sign.Verify(rc.key, r.Header, b, time.Now())
		}
		rc.reqs = append(rc.reqs, req)
		n := len(rc.reqs)
		rc.mu.Unlock()
		status := http.StatusNoContent
		if respond != nil {
			status = respond(n, req)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", n)
	}))
	rc.Listener.Close()
	rc.Listener = ln
	rc.Start()
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) setKey(key []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.key = key
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// attempt is a logged attempt, as the tests read it back.
type attempt struct {
	Number     int
	At         time.Time
	StatusCode *int
	Error      string
	Excerpt    string
}

// delivery is a queued delivery with its attempts.
type delivery struct {
	ID, EventID, Status string
	Attempts            []attempt
}

// deliveries reads every delivery of webhook, oldest first.
func (e *env) deliveries(webhook string) []delivery {
	e.t.Helper()
	ctx := context.Background()
	rows, err := e.ts.Pool().Query(ctx, `SELECT id, event_id, status FROM remora.webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at, id`, webhook)
	if err != nil {
		e.t.Fatal(err)
	}
	ds, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ ID, EventID, Status string }])
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]delivery, len(ds))
	for i, d := range ds {
		out[i] = delivery{ID: d.ID, EventID: d.EventID, Status: d.Status}
		rows, err := e.ts.Pool().Query(ctx, `SELECT attempt, attempted_at, status_code, error, response_excerpt
			FROM remora.webhook_attempts WHERE delivery_id = $1 ORDER BY attempted_at`, d.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		if out[i].Attempts, err = pgx.CollectRows(rows, pgx.RowToStructByPos[attempt]); err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settled reports whether every delivery of webhook has the status.
func (e *env) settled(webhook string, n int, status string) func() bool {
	return func() bool {
		ds := e.deliveries(webhook)
		if len(ds) != n {
			return false
		}
		for _, d := range ds {
			if d.Status != status {
				return false
			}
		}
		return true
	}
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func hookInput(url string, globs ...string) hookstore.Input {
	return hookstore.Input{URL: url, EventTypes: globs, Enabled: true}
}
