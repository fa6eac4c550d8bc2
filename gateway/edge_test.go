package gateway_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/remora-sec/remora/gateway"
)

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	wantProblem(t, e.call("GET", "/api/v1/nothing-here", "", nil), http.StatusNotFound, "")
	wantProblem(t, e.call("GET", "/", "", nil), http.StatusNotFound, "")
	wantProblem(t, e.call("PUT", "/api/v1/users", "", nil), http.StatusMethodNotAllowed, "")
	wantProblem(t, e.call("GET", "/api/v1/signup", "", nil), http.StatusMethodNotAllowed, "")
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	r := e.call("GET", "/healthz", "", nil, "X-Request-Id", "trace-abc.123")
	if got := r.header.Get("X-Request-Id"); got != "trace-abc.123" {
		t.Errorf("plain request id not echoed: %q", got)
	}
	r = e.call("GET", "/healthz", "", nil, "X-Request-Id", "evil\"id with spaces")
	if got := r.header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, "\" ") {
		t.Errorf("unsafe request id echoed: %q", got)
	}
	p := e.call("GET", "/nope", "", nil, "X-Request-Id", "abc")
	if !strings.Contains(string(p.body), `"request_id":"abc"`) {
		t.Errorf("problem lacks the request id: %s", p.body)
	}
}

func TestHealthReadyMetricsSpec(t *testing.T) {
	e := newEnv(t)
	e.must(200, "GET", "/healthz", "", nil)
	r := e.must(200, "GET", "/readyz", "", nil)
	if !strings.Contains(string(r.body), `"postgres":"ok"`) || !strings.Contains(string(r.body), `"redis":"ok"`) {
		t.Errorf("readyz: %s", r.body)
	}
	spec := e.must(200, "GET", "/api/v1/openapi.yaml", "", nil)
	if !strings.HasPrefix(string(spec.body), "openapi: 3.0") {
		t.Errorf("spec starts %q", spec.body[:min(40, len(spec.body))])
	}
	m := e.must(200, "GET", "/metrics", "", nil)
	for _, want := range []string{`remora_http_requests_total{method="GET",route="/readyz",status="200"} 1`, "go_goroutines"} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestRateLimits: the address budget covers signup, login and refresh; the
// account budget stops guessing at one account from many places.
func TestRateLimits(t *testing.T) {
	e := newEnv(t, func(l *gateway.Limits) { l.PerAddress = 4; l.PerAccount = 2 })
	email := uniqueEmail("rl")
	e.must(201, "POST", "/api/v1/signup", "", map[string]string{"organization": "RL", "email": email, "password": testPassword})
	for range 3 {
		e.must(422, "POST", "/api/v1/signup", "", map[string]string{})
	}
	r := e.call("POST", "/api/v1/signup", "", map[string]string{})
	wantProblem(t, r, http.StatusTooManyRequests, "")
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// Login has a budget of its own per address, and one per account.
	login := map[string]string{"email": email, "password": "wrong password!!"}
	e.must(401, "POST", "/api/v1/auth/login", "", login)
	e.must(401, "POST", "/api/v1/auth/login", "", login)
	wantProblem(t, e.call("POST", "/api/v1/auth/login", "", login), http.StatusTooManyRequests, "")
	// Another account from the same address still has address budget left,
	// until that runs out too.
	other := map[string]string{"email": uniqueEmail("other"), "password": "x"}
	e.must(401, "POST", "/api/v1/auth/login", "", other)
	wantProblem(t, e.call("POST", "/api/v1/auth/login", "", other), http.StatusTooManyRequests, "")
	// Refresh is limited per token as well as per address.
	refresh := map[string]string{"refresh_token": "rrt_guess"}
	e.must(401, "POST", "/api/v1/auth/refresh", "", refresh)
	e.must(401, "POST", "/api/v1/auth/refresh", "", refresh)
	wantProblem(t, e.call("POST", "/api/v1/auth/refresh", "", refresh), http.StatusTooManyRequests, "")
}
