package gateway

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/gateway/webhook/hookstore"
	"github.com/remora-sec/remora/web-openapi/apitypes"
)

// Webhooks and their delivery log: admin routes over hookstore. Sending
// is the dispatcher's business (gateway/webhook/dispatch), not these
// routes'.

func webhookID(r *http.Request) string { return chi.URLParam(r, "webhookId") }

func apiWebhook(w hookstore.Webhook) apitypes.Webhook {
	return apitypes.Webhook{ID: w.ID, URL: w.URL, EventTypes: w.EventTypes, Description: w.Description, Enabled: w.Enabled,
		DisabledReason: nonEmpty(w.DisabledReason), FailingSince: utc(w.FailingSince), PreviousSecretUntil: utc(w.PreviousUntil),
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC()}
}

func apiWebhookWithSecret(w hookstore.Webhook, secret string) apitypes.WebhookWithSecret {
	v := apiWebhook(w)
	return apitypes.WebhookWithSecret{ID: v.ID, URL: v.URL, EventTypes: v.EventTypes, Description: v.Description, Enabled: v.Enabled,
		DisabledReason: v.DisabledReason, FailingSince: v.FailingSince, PreviousSecretUntil: v.PreviousSecretUntil,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, Secret: secret}
}

func apiDelivery(d hookstore.Delivery) apitypes.WebhookDelivery {
	attempts := make([]apitypes.WebhookAttempt, len(d.Attempts))
	for i, a := range d.Attempts {
		attempts[i] = apitypes.WebhookAttempt{Attempt: a.Number, AttemptedAt: a.At.UTC(), StatusCode: a.StatusCode,
			LatencyMs: a.LatencyMS, ResponseExcerpt: a.Excerpt, Error: nonEmpty(a.Error)}
	}
	return apitypes.WebhookDelivery{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType,
		Status: apitypes.WebhookDeliveryStatus(d.Status), Attempts: attempts, NextAttemptAt: utc(d.NextAttemptAt),
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
}

func writeWebhook(w http.ResponseWriter, status int, h hookstore.Webhook, v any) error {
	w.Header().Set("ETag", hookstore.ETag(h.Revision))
	httpx.WriteJSON(w, status, v)
	return nil
}

func (a *api) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	pr, err := httpx.PageRequest(r)
	if err != nil {
		return err
	}
	hs, next, err := a.hooks.List(r.Context(), principal(r).Tenant, pr)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apitypes.WebhookList{Items: mapSlice(hs, apiWebhook), NextCursor: cursor(next)})
	return nil
}

func (a *api) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in apitypes.WebhookInput
	if err := httpx.Decode(w, r, &in); err != nil {
		return err
	}
	hin := hookstore.Input{URL: in.URL, EventTypes: in.EventTypes, Enabled: true}
	if in.Description != nil {
		hin.Description = *in.Description
	}
	if in.Enabled != nil {
		hin.Enabled = *in.Enabled
	}
	h, secret, err := a.hooks.Create(r.Context(), principal(r).Tenant, hin)
	if err != nil {
		return err
	}
	return writeWebhook(w, http.StatusCreated, h, apiWebhookWithSecret(h, secret))
}

func (a *api) getWebhook(w http.ResponseWriter, r *http.Request) error {
	h, err := a.hooks.Get(r.Context(), principal(r).Tenant, webhookID(r))
	if err != nil {
		return err
	}
	return writeWebhook(w, http.StatusOK, h, apiWebhook(h))
}

func (a *api) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	var in apitypes.WebhookPatch
	if err := httpx.Decode(w, r, &in); err != nil {
		return err
	}
	p := hookstore.Patch{URL: in.URL, EventTypes: in.EventTypes, Description: in.Description, Enabled: in.Enabled}
	h, err := a.hooks.Update(r.Context(), principal(r).Tenant, webhookID(r), p, r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return writeWebhook(w, http.StatusOK, h, apiWebhook(h))
}

func (a *api) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := a.hooks.Delete(r.Context(), principal(r).Tenant, webhookID(r), r.Header.Get("If-Match")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *api) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	if err := emptyBody(w, r); err != nil {
		return err
	}
	h, secret, err := a.hooks.RotateSecret(r.Context(), principal(r).Tenant, webhookID(r))
	if err != nil {
		return err
	}
	return writeWebhook(w, http.StatusOK, h, apiWebhookWithSecret(h, secret))
}

func (a *api) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	pr, err := httpx.PageRequest(r)
	if err != nil {
		return err
	}
	ds, next, err := a.hooks.Deliveries(r.Context(), principal(r).Tenant, webhookID(r), pr)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apitypes.WebhookDeliveryList{Items: mapSlice(ds, apiDelivery), NextCursor: cursor(next)})
	return nil
}

func (a *api) redeliverWebhookDelivery(w http.ResponseWriter, r *http.Request) error {
	if err := emptyBody(w, r); err != nil {
		return err
	}
	d, err := a.hooks.Redeliver(r.Context(), principal(r).Tenant, webhookID(r), chi.URLParam(r, "deliveryId"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusAccepted, apiDelivery(d))
	return nil
}

func (a *api) testWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := emptyBody(w, r); err != nil {
		return err
	}
	d, err := a.hooks.Ping(r.Context(), principal(r).Tenant, webhookID(r))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusAccepted, apiDelivery(d))
	return nil
}
