package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/remora-sec/remora/compute/docstore"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/gateway/ratelimit"
	"github.com/remora-sec/remora/gateway/webhook/hookstore"
	"github.com/remora-sec/remora/gateway/webhook/ssrf"
	"github.com/remora-sec/remora/tenants"
)

// Deps is what the gateway is built from; every field is required.
type Deps struct {
	Tenants  *tenants.Store
	Redis    redis.UniversalClient
	Log      *slog.Logger
	Registry *prometheus.Registry
	Limits   Limits
	Queue    *queue.Queue // where enforcement-changing writes ask for a recompute
	VEN      *VEN         // the VEN channel; nil: pairing is refused
	// WebhookGuard vets webhook URLs when they are saved (the dispatcher
	// vets them again when delivering); nil: the strict default, https
	// to public addresses only.
	WebhookGuard *ssrf.Guard
}

// Limits are the rate limits of the unauthenticated endpoints.
type Limits struct {
	Window     time.Duration
	PerAddress int    // signup, login, refresh per client address
	PerAccount int    // login per email, refresh per token
	KeyPrefix  string // Redis key prefix, default "remora:rl:"
}

// api holds the handlers' dependencies.
type api struct {
	Deps
	limiter *ratelimit.Limiter
	metrics *httpMetrics
	policy  *policystore.Store
	docs    *docstore.Store
	hooks   *hookstore.Store
}

// New returns the PCE's HTTP handler.
func New(d Deps) http.Handler {
	if d.Limits.KeyPrefix == "" {
		d.Limits.KeyPrefix = "remora:rl:"
	}
	if d.WebhookGuard == nil {
		d.WebhookGuard = &ssrf.Guard{}
	}
	a := &api{Deps: d, limiter: ratelimit.New(d.Redis, d.Limits.KeyPrefix), metrics: newHTTPMetrics(d.Registry),
		policy: policystore.New(d.Tenants), docs: docstore.New(d.Tenants), hooks: hookstore.New(d.Tenants, d.WebhookGuard)}
	return a.router()
}

func (a *api) router() http.Handler {
	r := chi.NewRouter()
	r.Use(httpx.WithRequestID, a.observe, a.recoverPanic)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, http.StatusNotFound, "no such route: "+r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	})
	for _, rt := range a.routes() {
		h := http.Handler(a.handle(rt.h))
		if rt.limit != nil {
			h = a.rateLimited(rt.limit, h)
		}
		if rt.role != "" {
			h = a.authenticated(rt.role, h)
		} else {
			h = anonymous(h)
		}
		r.Method(rt.method, rt.pattern, h)
	}
	return r
}

// handlerFunc is a handler that returns its error for handle to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *api) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			httpx.WriteError(w, r, a.Log, err)
		}
	}
}

// recompute asks the compute workers to recompute the caller's tenant, once
// a write that can change enforcement has committed. It does not fail the
// request: the write is durable, and if the wake-up is lost the reconciler
// finds the tenant's lagging generation in Postgres.
func (a *api) recompute(r *http.Request, cause string) {
	if err := a.Queue.Enqueue(context.WithoutCancel(r.Context()), principal(r).Tenant, cause); err != nil {
		a.Log.Warn("recompute wake-up not sent; the reconciler will catch up", "tenant", principal(r).Tenant, "cause", cause, "err", err)
	}
}
