package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/remora-sec/remora/gateway/httpx"
	webopenapi "github.com/remora-sec/remora/web-openapi"
	"github.com/remora-sec/remora/web-openapi/apitypes"
)

// healthz says the process is up and serving; it checks nothing else, so an
// orchestrator does not restart the PCE because the database blinked.
func (a *api) healthz(w http.ResponseWriter, r *http.Request) error {
	httpx.WriteJSON(w, http.StatusOK, apitypes.Health{Status: apitypes.HealthStatusOk})
	return nil
}

// readyz says whether the PCE can do its work: Postgres and Redis answer.
func (a *api) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	check := func(err error) string {
		if err != nil {
			return err.Error()
		}
		return "ok"
	}
	res := apitypes.Readiness{Status: apitypes.ReadinessStatusOk, Checks: apitypes.ReadinessChecks{
		Postgres: check(a.Tenants.Pool().Ping(ctx)),
		Redis:    check(a.Redis.Ping(ctx).Err()),
	}}
	status := http.StatusOK
	if res.Checks.Postgres != "ok" || res.Checks.Redis != "ok" {
		res.Status, status = apitypes.ReadinessStatusUnavailable, http.StatusServiceUnavailable
	}
	httpx.WriteJSON(w, status, res)
	return nil
}

func (a *api) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}

// serveSpec serves the OpenAPI document the API is generated from.
func serveSpec(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(webopenapi.Spec)
	return nil
}
