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
	rs := []route{
		{method: http.MethodGet, pattern: "/healthz", role: public, h: a.healthz},
		{method: http.MethodGet, pattern: "/readyz", role: public, h: a.readyz},
		{method: http.MethodGet, pattern: "/metrics", role: public, h: a.serveMetrics},
		{method: http.MethodGet, pattern: "/api/v1/openapi.yaml", role: public, h: serveSpec},

		{method: http.MethodPost, pattern: "/api/v1/signup", role: public, limit: noAccount, h: a.signup},
		{method: http.MethodPost, pattern: "/api/v1/auth/login", role: public, limit: loginAccount, h: a.login},
		{method: http.MethodPost, pattern: "/api/v1/auth/refresh", role: public, limit: refreshAccount, h: a.refresh},
		{method: http.MethodPost, pattern: "/api/v1/auth/logout", role: public, h: a.logout},
		{method: http.MethodPost, pattern: "/api/v1/ven/pair", role: public, limit: noAccount, h: a.pairVEN},
		{method: http.MethodGet, pattern: "/install.sh", role: public, h: a.installScript},
		{method: http.MethodGet, pattern: "/download/remora-ven", role: public, h: a.agentBinary},
		{method: http.MethodGet, pattern: "/download/remora-ven.service", role: public, h: a.agentUnit},

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

		{method: http.MethodGet, pattern: "/api/v1/label-dimensions", role: tenants.Viewer, h: a.listDimensions},
		{method: http.MethodPost, pattern: "/api/v1/label-dimensions", role: tenants.Editor, h: a.createDimension},
		{method: http.MethodDelete, pattern: "/api/v1/label-dimensions/{key}", role: tenants.Editor, h: a.deleteDimension},

		{method: http.MethodGet, pattern: "/api/v1/labels", role: tenants.Viewer, h: a.listLabels},
		{method: http.MethodPost, pattern: "/api/v1/labels", role: tenants.Editor, h: a.createLabel},
		{method: http.MethodGet, pattern: "/api/v1/labels/{labelId}", role: tenants.Viewer, h: a.getLabel},
		{method: http.MethodPut, pattern: "/api/v1/labels/{labelId}", role: tenants.Editor, h: a.updateLabel},
		{method: http.MethodDelete, pattern: "/api/v1/labels/{labelId}", role: tenants.Editor, h: a.deleteLabel},

		{method: http.MethodGet, pattern: "/api/v1/workloads", role: tenants.Viewer, h: a.listWorkloads},
		{method: http.MethodPost, pattern: "/api/v1/workloads", role: tenants.Editor, h: a.createWorkload},
		{method: http.MethodGet, pattern: "/api/v1/workloads/{workloadId}", role: tenants.Viewer, h: a.getWorkload},
		{method: http.MethodPut, pattern: "/api/v1/workloads/{workloadId}", role: tenants.Editor, h: a.updateWorkload},
		{method: http.MethodDelete, pattern: "/api/v1/workloads/{workloadId}", role: tenants.Editor, h: a.deleteWorkload},
		{method: http.MethodPost, pattern: "/api/v1/workloads/bulk-create", role: tenants.Editor, h: a.bulkCreateWorkloads},
		{method: http.MethodPost, pattern: "/api/v1/workloads/bulk-update", role: tenants.Editor, h: a.bulkUpdateWorkloads},
		{method: http.MethodPost, pattern: "/api/v1/workloads/bulk-delete", role: tenants.Editor, h: a.bulkDeleteWorkloads},
		{method: http.MethodGet, pattern: "/api/v1/workloads/{workloadId}/rules", role: tenants.Viewer, h: a.getWorkloadRules},
		{method: http.MethodGet, pattern: "/api/v1/vens", role: tenants.Viewer, h: a.listVENs},
		{method: http.MethodGet, pattern: "/api/v1/vens/{venId}", role: tenants.Viewer, h: a.getVEN},
		{method: http.MethodDelete, pattern: "/api/v1/vens/{venId}", role: tenants.Admin, h: a.unpairVEN},

		{method: http.MethodPost, pattern: "/api/v1/policy/provision", role: tenants.Admin, h: a.provision},
		{method: http.MethodGet, pattern: "/api/v1/policy/versions", role: tenants.Viewer, h: a.listVersions},
		{method: http.MethodGet, pattern: "/api/v1/policy/versions/{version}", role: tenants.Viewer, h: a.getVersion},
		{method: http.MethodGet, pattern: "/api/v1/policy/diff", role: tenants.Viewer, h: a.diff},
		{method: http.MethodGet, pattern: "/api/v1/policy/status", role: tenants.Viewer, h: a.policyStatus},
		{method: http.MethodPost, pattern: "/api/v1/policy/revert", role: tenants.Editor, h: a.revert},
		{method: http.MethodPost, pattern: "/api/v1/policy/rollback", role: tenants.Admin, h: a.rollback},
		{method: http.MethodPost, pattern: "/api/v1/policy/check", role: tenants.Viewer, h: a.check},
		{method: http.MethodPost, pattern: "/api/v1/policy/check/batch", role: tenants.Viewer, h: a.checkBatch},
		{method: http.MethodGet, pattern: "/api/v1/policy/export", role: tenants.Viewer, h: a.export},
		{method: http.MethodPost, pattern: "/api/v1/policy/import", role: tenants.Editor, h: a.importPolicy},

		{method: http.MethodGet, pattern: "/api/v1/events", role: tenants.Viewer, h: a.listEvents},
	}
	rs = append(rs, objectRoutes("/api/v1/label-groups", "labelGroupId", a.policy.LabelGroups())...)
	rs = append(rs, objectRoutes("/api/v1/services", "serviceId", a.policy.Services())...)
	rs = append(rs, objectRoutes("/api/v1/ip-lists", "ipListId", a.policy.IPLists())...)
	rs = append(rs, a.pairingRoutes()...)
	rs = append(rs, a.webhookRoutes()...)
	return append(rs, objectRoutes("/api/v1/rulesets", "rulesetId", a.policy.Rulesets())...)
}
