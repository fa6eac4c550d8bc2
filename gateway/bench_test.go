package gateway_test

// Benchmarks of the authentication middleware on the real stack: Postgres
// (pgtest), Redis (redistest), the full gateway handler. Requests are served
// in-process through httptest.NewRecorder, so no network or TLS is measured;
// infra/bench/load.sh measures those from a separate process.
//
// Run them (they never run under a plain `go test`):
//
//	go test -run '^$' -bench . -benchmem ./gateway/
//
// Figures and their interpretation live in docs/BENCHMARKS.md. Nothing here
// asserts on time: a benchmark fails only when a response is wrong.
//
// Besides ns/op and allocs/op each benchmark reports pg-queries/op, the
// statements sent to Postgres per request (BEGIN and COMMIT included), counted
// by a pgx tracer. Every statement is one round trip, which is what dominates
// these paths.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/gateway"
	"github.com/remora-sec/remora/infra/metrics"
	"github.com/remora-sec/remora/infra/pg/pgtest"
	"github.com/remora-sec/remora/infra/redisx/redistest"
	"github.com/remora-sec/remora/tenants"
)

// benchFixture is one signed-up tenant behind a complete gateway.
type benchFixture struct {
	handler http.Handler
	store   *tenants.Store
	queries *benchQueryCounter
	secret  []byte // the store's JWT key
	access  string // the owner's access JWT
	apiKey  string // a viewer API key's secret
}

// benchQueryCounter is a pgx tracer counting the statements sent.
type benchQueryCounter struct{ n atomic.Int64 }

func (c *benchQueryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *benchQueryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// newBenchFixture builds the stack on a fresh database and Redis prefix, both
// removed when b ends, and signs up one tenant through the handler.
func newBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	ctx := context.Background()
	pool, url := pgtest.NewPool(b)
	if _, err := tenants.Migrate(ctx, pool); err != nil {
		b.Fatalf("migrate: %v", err)
	}
	// The store gets its own pool on the same database, configured as
	// pg.Open configures the server's (pgx defaults) plus a statement
	// counter. It is closed before pgtest drops the database.
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatalf("parse database url: %v", err)
	}
	queries := &benchQueryCounter{}
	cfg.ConnConfig.Tracer = queries
	traced, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatalf("open pool: %v", err)
	}
	b.Cleanup(traced.Close)

	secret := make([]byte, 32)
	rand.Read(secret)
	store, err := tenants.NewStore(traced, tenants.Options{JWTSecret: secret})
	if err != nil {
		b.Fatalf("new store: %v", err)
	}
	rdb, prefix := redistest.New(b)
	handler := gateway.New(gateway.Deps{
		Tenants:  store,
		Redis:    rdb,
		Log:      slog.New(slog.DiscardHandler),
		Registry: metrics.NewRegistry(),
		Queue:    queue.New(rdb, "bench:"),
		Limits:   gateway.Limits{Window: time.Minute, PerAddress: 1000, PerAccount: 1000, KeyPrefix: prefix + "rl:"},
	})
	f := &benchFixture{handler: handler, store: store, queries: queries, secret: secret}

	var signup struct {
		AccessToken string `json:"access_token"`
	}
	f.call(b, http.MethodPost, "/api/v1/signup", "",
		`{"organization":"Bench Org","email":"owner@bench.example","password":"correct horse battery staple"}`,
		http.StatusCreated, &signup)
	f.access = signup.AccessToken

	var key struct {
		Secret string `json:"secret"`
	}
	f.call(b, http.MethodPost, "/api/v1/api-keys", f.access, `{"name":"bench","role":"viewer"}`, http.StatusCreated, &key)
	f.apiKey = key.Secret
	if f.access == "" || f.apiKey == "" {
		b.Fatalf("setup: empty credential (access token %q, API key %q)", f.access, f.apiKey)
	}
	return f
}

// call serves one setup request and decodes its JSON answer into out.
func (f *benchFixture) call(b *testing.B, method, path, bearer, body string, want int, out any) {
	b.Helper()
	req := httptest.NewRequest(method, path, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("setup: %s %s = %d, want %d: %s", method, path, rec.Code, want, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			b.Fatalf("setup: %s %s: decode: %v", method, path, err)
		}
	}
}

// benchTenantRequest is GET /api/v1/tenant with bearer. A request is only read
// by the handler, so each goroutine builds one and reuses it.
func benchTenantRequest(bearer string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/api/v1/tenant", nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	return req
}

// benchSerial serves req b.N times in one goroutine, failing unless every
// answer has status want, and returns the Postgres statements per request.
func benchSerial(b *testing.B, f *benchFixture, req *http.Request, want int) float64 {
	b.Helper()
	b.ReportAllocs()
	// Open the connection and prepare the statements outside the timer.
	if rec := benchServe(f.handler, req); rec.Code != want {
		b.Fatalf("%s %s = %d, want %d: %s", req.Method, req.URL.Path, rec.Code, want, rec.Body)
	}
	q0, n := f.queries.n.Load(), 0
	for b.Loop() {
		rec := benchServe(f.handler, req)
		if rec.Code != want {
			b.Fatalf("%s %s = %d, want %d: %s", req.Method, req.URL.Path, rec.Code, want, rec.Body)
		}
		n++
	}
	perOp := float64(f.queries.n.Load()-q0) / float64(n)
	b.ReportMetric(perOp, "pg-queries/op")
	return perOp
}

// benchParallel serves GET /api/v1/tenant with bearer from GOMAXPROCS
// goroutines (vary with -cpu).
func benchParallel(b *testing.B, f *benchFixture, bearer string) {
	b.ReportAllocs()
	// Warm every pool connection the run may use, outside the timer.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 4 {
				benchServe(f.handler, benchTenantRequest(bearer))
			}
		})
	}
	wg.Wait()

	var bad atomic.Value // first unexpected answer, as a string
	q0 := f.queries.n.Load()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := benchTenantRequest(bearer)
		for pb.Next() {
			if rec := benchServe(f.handler, req); rec.Code != http.StatusOK {
				bad.CompareAndSwap(nil, fmt.Sprintf("GET /api/v1/tenant = %d, want 200: %s", rec.Code, rec.Body))
				return
			}
		}
	})
	b.StopTimer()
	if msg := bad.Load(); msg != nil {
		b.Fatal(msg)
	}
	b.ReportMetric(float64(f.queries.n.Load()-q0)/float64(b.N), "pg-queries/op")
}

func benchServe(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// BenchmarkAuthJWT: GET /api/v1/tenant with the owner's access token. The
// middleware verifies the HS256 signature, then reads the session and the
// user's current role in one query.
func BenchmarkAuthJWT(b *testing.B) {
	f := newBenchFixture(b)
	benchSerial(b, f, benchTenantRequest(f.access), http.StatusOK)
}

// BenchmarkAuthAPIKey: GET /api/v1/tenant with a viewer API key: one SHA-256
// and one indexed lookup (plus a last_used_at write at most once a minute).
func BenchmarkAuthAPIKey(b *testing.B) {
	f := newBenchFixture(b)
	benchSerial(b, f, benchTenantRequest(f.apiKey), http.StatusOK)
}

// BenchmarkAuthJWTParallel is BenchmarkAuthJWT from GOMAXPROCS goroutines.
// Setup runs again for each b.N the framework tries (RunParallel cannot use
// b.Loop); it is outside the timer.
func BenchmarkAuthJWTParallel(b *testing.B) {
	f := newBenchFixture(b)
	benchParallel(b, f, f.access)
}

// BenchmarkAuthAPIKeyParallel is BenchmarkAuthAPIKey from GOMAXPROCS goroutines.
func BenchmarkAuthAPIKeyParallel(b *testing.B) {
	f := newBenchFixture(b)
	benchParallel(b, f, f.apiKey)
}

// BenchmarkAuthRejectForged: an access token with the owner's genuine claims
// signed with the wrong key is refused (401) on the signature alone; the run
// fails if Postgres is asked anything.
func BenchmarkAuthRejectForged(b *testing.B) {
	f := newBenchFixture(b)
	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(f.access, &claims); err != nil {
		b.Fatalf("parse access token: %v", err)
	}
	sign := func(key []byte) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
		if err != nil {
			b.Fatalf("sign token: %v", err)
		}
		return s
	}
	// The same claims re-signed with the right key pass, so the forged
	// token fails on its signature and nothing else.
	if rec := benchServe(f.handler, benchTenantRequest(sign(f.secret))); rec.Code != http.StatusOK {
		b.Fatalf("re-signed genuine claims: GET /api/v1/tenant = %d, want 200: %s", rec.Code, rec.Body)
	}
	wrongKey := make([]byte, 32)
	rand.Read(wrongKey)
	forged := sign(wrongKey)
	if perOp := benchSerial(b, f, benchTenantRequest(forged), http.StatusUnauthorized); perOp != 0 {
		b.Fatalf("a forged token cost %.2f Postgres queries per request, want 0", perOp)
	}
}

// BenchmarkBaselineHealthz is the same handler stack (router, request id,
// access log, metrics, recorder) on a route with no authentication and no
// I/O: what BenchmarkAuth* cost beyond it is authentication plus the handler.
func BenchmarkBaselineHealthz(b *testing.B) {
	f := newBenchFixture(b)
	benchSerial(b, f, httptest.NewRequest(http.MethodGet, "/healthz", nil), http.StatusOK)
}

// BenchmarkStoreAuthenticate is the middleware's only expensive call,
// tenants.Store.Authenticate, without HTTP or the GET /api/v1/tenant
// handler's own queries.
func BenchmarkStoreAuthenticate(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	for _, c := range []struct{ name, bearer string }{{"jwt", f.access}, {"apikey", f.apiKey}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			if _, err := f.store.Authenticate(ctx, c.bearer); err != nil {
				b.Fatalf("authenticate: %v", err)
			}
			q0, n := f.queries.n.Load(), 0
			for b.Loop() {
				if _, err := f.store.Authenticate(ctx, c.bearer); err != nil {
					b.Fatalf("authenticate: %v", err)
				}
				n++
			}
			b.ReportMetric(float64(f.queries.n.Load()-q0)/float64(n), "pg-queries/op")
		})
	}
}
