package gateway

import (
	"context"
	"net/http"
	"strings"

	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/tenants"
)

type principalKey struct{}

// principal returns the caller established by authenticated.
func principal(r *http.Request) tenants.Principal {
	p, _ := r.Context().Value(principalKey{}).(tenants.Principal)
	return p
}

// authenticated admits requests bearing a valid access token or API key
// whose current role is at least min. Everything else stops here: no
// credential or a bad one is 401, too low a role is 403. The request's
// context carries the principal, and its actor for the events the request
// causes.
func (a *api) authenticated(min tenants.Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(cred) == "" {
			httpx.WriteProblem(w, r, http.StatusUnauthorized, "send Authorization: Bearer <access token or API key>")
			return
		}
		p, err := a.Tenants.Authenticate(r.Context(), strings.TrimSpace(cred))
		if err != nil {
			httpx.WriteError(w, r, a.Log, err)
			return
		}
		if !p.Role.AtLeast(min) {
			httpx.WriteProblem(w, r, http.StatusForbidden, "this needs the "+string(min)+" role or higher; you have "+string(p.Role))
			return
		}
		a.metrics.noteTenant(r, p.Tenant)
		ctx := outbox.WithActor(context.WithValue(r.Context(), principalKey{}, p), p.Actor())
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// anonymous marks a public route's requests as made by nobody known: the
// actor of their events, unless the store learns who it is (a login's
// user, a pairing's VEN).
func anonymous(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(outbox.WithActor(r.Context(), outbox.Anonymous)))
	})
}
