package gateway

import (
	"net/http"

	"github.com/remora-sec/remora/tenants"
)

// route is one entry of the route table. role is the least role that may
// call it; "" marks a public route. limit names the rate limits that apply.
type route struct {
	method, pattern string
	role            tenants.Role
	limit           accountKey
	h               handlerFunc
}

// routes is the whole API. Every entry has its operation in
// web-openapi/openapi.yaml, and a test holds the two equal.
func (a *api) routes() []route {
	const public tenants.Role = ""
	return []route{
		{method: http.MethodGet, pattern: "/healthz", role: public, h: a.healthz},
		{method: http.MethodGet, pattern: "/readyz", role: public, h: a.readyz},
		{method: http.MethodGet, pattern: "/metrics", role: public, h: a.serveMetrics},
		{method: http.MethodGet, pattern: "/api/v1/openapi.yaml", role: public, h: serveSpec},

		{method: http.MethodPost, pattern: "/api/v1/signup", role: public, limit: noAccount, h: a.signup},
		{method: http.MethodPost, pattern: "/api/v1/auth/login", role: public, limit: loginAccount, h: a.login},
		{method: http.MethodPost, pattern: "/api/v1/auth/refresh", role: public, limit: refreshAccount, h: a.refresh},
		{method: http.MethodPost, pattern: "/api/v1/auth/logout", role: public, h: a.logout},

		{method: http.MethodGet, pattern: "/api/v1/tenant", role: tenants.Viewer, h: a.getTenant},
		{method: http.MethodDelete, pattern: "/api/v1/tenant", role: tenants.Owner, h: a.deleteTenant},

		{method: http.MethodGet, pattern: "/api/v1/users", role: tenants.Viewer, h: a.listUsers},
		{method: http.MethodPost, pattern: "/api/v1/users", role: tenants.Admin, h: a.createUser},
		{method: http.MethodGet, pattern: "/api/v1/users/{userId}", role: tenants.Viewer, h: a.getUser},
		{method: http.MethodPatch, pattern: "/api/v1/users/{userId}", role: tenants.Admin, h: a.updateUser},
		{method: http.MethodDelete, pattern: "/api/v1/users/{userId}", role: tenants.Admin, h: a.deleteUser},

		{method: http.MethodGet, pattern: "/api/v1/api-keys", role: tenants.Admin, h: a.listAPIKeys},
		{method: http.MethodPost, pattern: "/api/v1/api-keys", role: tenants.Admin, h: a.createAPIKey},
		{method: http.MethodGet, pattern: "/api/v1/api-keys/{keyId}", role: tenants.Admin, h: a.getAPIKey},
		{method: http.MethodDelete, pattern: "/api/v1/api-keys/{keyId}", role: tenants.Admin, h: a.deleteAPIKey},
	}
}
