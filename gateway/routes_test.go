package gateway_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestRoutesMatchSpec holds the router and openapi.yaml equal: a route
// missing from the spec, or an operation the server does not serve, fails.
func TestRoutesMatchSpec(t *testing.T) {
	e := newEnv(t)
	var served []string
	err := chi.Walk(e.srv.Config.Handler.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served = append(served, method+" "+strings.TrimSuffix(route, "/*"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(served)
	spec := e.spec.Operations()
	for _, op := range spec {
		if !slices.Contains(served, op) {
			t.Errorf("in openapi.yaml, not served: %s", op)
		}
	}
	for _, op := range served {
		if !slices.Contains(spec, op) {
			t.Errorf("served, not in openapi.yaml: %s", op)
		}
	}
}
