package gateway

import (
	"net/http"

	"github.com/remora-sec/remora/tenants"
)

// webhookRoutes manage webhooks and their delivery log: admins only,
// reads included, since a webhook's URL is often a credential of its
// receiver and its deliveries carry the tenant's events.
func (a *api) webhookRoutes() []route {
	const (
		hooks = "/api/v1/webhooks"
		hook  = hooks + "/{webhookId}"
	)
	return []route{
		{method: http.MethodGet, pattern: hooks, role: tenants.Admin, h: a.listWebhooks},
		{method: http.MethodPost, pattern: hooks, role: tenants.Admin, h: a.createWebhook},
		{method: http.MethodGet, pattern: hook, role: tenants.Admin, h: a.getWebhook},
		{method: http.MethodPatch, pattern: hook, role: tenants.Admin, h: a.updateWebhook},
		{method: http.MethodDelete, pattern: hook, role: tenants.Admin, h: a.deleteWebhook},
		{method: http.MethodPost, pattern: hook + "/rotate-secret", role: tenants.Admin, h: a.rotateWebhookSecret},
		{method: http.MethodGet, pattern: hook + "/deliveries", role: tenants.Admin, h: a.listWebhookDeliveries},
		{method: http.MethodPost, pattern: hook + "/deliveries/{deliveryId}/redeliver", role: tenants.Admin, h: a.redeliverWebhookDelivery},
		{method: http.MethodPost, pattern: hook + "/test", role: tenants.Admin, h: a.testWebhook},
	}
}
