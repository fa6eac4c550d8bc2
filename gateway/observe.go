package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/infra/ids"
)

// httpMetrics are the edge's Prometheus series, labelled by route pattern
// (never raw path: ids would explode the cardinality).
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "remora_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "remora_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// logState carries what inner handlers learn (the tenant) out to the access log.
type logState struct{ tenant ids.TenantID }

type logStateKey struct{}

func (m *httpMetrics) noteTenant(r *http.Request, t ids.TenantID) {
	if st, ok := r.Context().Value(logStateKey{}).(*logState); ok {
		st.tenant = t
	}
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe writes one JSON access-log line and the metrics for each request.
func (a *api) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		st := &logState{}
		r = r.WithContext(context.WithValue(r.Context(), logStateKey{}, st))
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := chi.RouteContext(r.Context()).RoutePattern()
		if route == "" {
			route = "unmatched"
		}
		a.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
		a.metrics.duration.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
		if !a.Log.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		a.Log.InfoContext(r.Context(), "http request",
			"request_id", httpx.RequestID(r.Context()), "method", r.Method, "route", route, "path", r.URL.Path,
			"status", sw.status, "duration_ms", float64(elapsed.Microseconds())/1000, "tenant", string(st.tenant),
			"remote", r.RemoteAddr)
	})
}

// recoverPanic turns a handler panic into a logged 500, so one bad request
// cannot take the server down.
func (a *api) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				httpx.WriteError(w, r, a.Log, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
