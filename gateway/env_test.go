package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/gateway"
	"github.com/remora-sec/remora/infra/metrics"
	"github.com/remora-sec/remora/infra/pg/pgtest"
	"github.com/remora-sec/remora/infra/redisx/redistest"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/web-openapi/spectest"
)

// testSecret signs the test server's access tokens; tests forge with it.
var testSecret = []byte("0123456789abcdef0123456789abcdef-test")

// env is one PCE gateway on a fresh database and Redis prefix, served over
// real HTTP. Every exchange through call is checked against openapi.yaml.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	store *tenants.Store
	queue *queue.Queue // the recompute queue the gateway writes to
	spec  *spectest.Validator
}

type envOpt func(*gateway.Limits)

func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	return newEnvWith(t, nil, opts...)
}

// newEnvWith is newEnv with the VEN channel ven makes for the env's store
// and Redis (nil: none).
func newEnvWith(t *testing.T, ven func(*tenants.Store, *redis.Client, string) *gateway.VEN, opts ...envOpt) *env {
	t.Helper()
	ctx := context.Background()
	pool, _ := pgtest.NewPool(t)
	if _, err := tenants.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	store, err := tenants.NewStore(pool, tenants.Options{JWTSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := redistest.New(t)
	limits := gateway.Limits{Window: time.Minute, PerAddress: 10000, PerAccount: 10000, KeyPrefix: prefix}
	for _, o := range opts {
		o(&limits)
	}
	d := gateway.Deps{
		Tenants: store, Redis: rdb, Registry: metrics.NewRegistry(), Limits: limits,
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Queue: queue.New(rdb, prefix), WebhookGuard: webhookGuard(t),
	}
	if ven != nil {
		d.VEN = ven(store, rdb, prefix)
	}
	h := gateway.New(d)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, store: store, spec: spectest.New(t), queue: queue.New(rdb, prefix)}
}

// resp is one answer, body kept for assertions.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a fresh T.
func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, r.body, err)
	}
	return v
}

// raw is a request body sent as is.
type raw string

// call sends method path with credential token (may be "") and body: nil for
// none, raw for exact bytes, anything else JSON-encoded.
func (e *env) call(method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case raw:
		rd = strings.NewReader(string(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.spec.Check(e.t, req, res.StatusCode, res.Header, b)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// must is call that fails the test unless the status is want.
func (e *env) must(want int, method, path, token string, body any) resp {
	e.t.Helper()
	r := e.call(method, path, token, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

// org is a signed-up tenant: its owner, and users of each role.
type org struct {
	tenant  string
	name    string
	owner   string // owner's access token
	ownerID string
	tokens  map[tenants.Role]string // access token per role
	users   map[tenants.Role]string // user id per role
	keys    map[tenants.Role]string // API key secret per role
	keyIDs  map[tenants.Role]string
}

func uniqueEmail(prefix string) string {
	return prefix + "-" + rand.Text()[:12] + "@example.com"
}

const testPassword = "correct horse battery staple"

// signup creates a tenant named name with only its owner.
func (e *env) signup(name string) *org {
	e.t.Helper()
	r := e.must(http.StatusCreated, "POST", "/api/v1/signup", "", map[string]string{
		"organization": name, "email": uniqueEmail("owner"), "password": testPassword,
	})
	v := decode[struct {
		AccessToken string `json:"access_token"`
		Tenant      struct{ ID string }
		User        struct{ ID string }
	}](e.t, r)
	o := &org{tenant: v.Tenant.ID, name: name, owner: v.AccessToken, ownerID: v.User.ID,
		tokens: map[tenants.Role]string{tenants.Owner: v.AccessToken}, users: map[tenants.Role]string{tenants.Owner: v.User.ID},
		keys: map[tenants.Role]string{}, keyIDs: map[tenants.Role]string{}}
	return o
}

// populate adds to o a logged-in user and an API key of every role.
func (e *env) populate(o *org) *org {
	e.t.Helper()
	for _, role := range tenants.Roles {
		if role != tenants.Owner {
			email := uniqueEmail(string(role))
			u := decode[struct{ ID string }](e.t, e.must(http.StatusCreated, "POST", "/api/v1/users", o.owner,
				map[string]string{"email": email, "password": testPassword, "role": string(role)}))
			o.users[role] = u.ID
			o.tokens[role] = e.login(email, testPassword)
		}
		k := decode[struct{ ID, Secret string }](e.t, e.must(http.StatusCreated, "POST", "/api/v1/api-keys", o.owner,
			map[string]string{"name": "key-" + string(role), "role": string(role)}))
		o.keys[role], o.keyIDs[role] = k.Secret, k.ID
	}
	return o
}

func (e *env) login(email, password string) string {
	e.t.Helper()
	r := e.must(http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	return decode[struct {
		AccessToken string `json:"access_token"`
	}](e.t, r).AccessToken
}

// problem is the part of a problem+json body tests look at.
type problem struct {
	Status int
	Detail string
	Errors []struct{ Field, Message string }
}

// wantProblem asserts r is a problem with status and, if field is not "",
// an error entry naming field.
func wantProblem(t *testing.T, r resp, status int, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	p := decode[problem](t, r)
	if p.Status != status {
		t.Fatalf("problem status %d, want %d", p.Status, status)
	}
	if field == "" {
		return
	}
	for _, f := range p.Errors {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("problem does not name field %q: %s", field, r.body)
}
