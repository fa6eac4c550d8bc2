package gateway

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/web-openapi/apitypes"
)

func (a *api) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	pr, err := httpx.PageRequest(r)
	if err != nil {
		return err
	}
	keys, next, err := a.Tenants.ListAPIKeys(r.Context(), principal(r).Tenant, pr)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apitypes.APIKeyList{Items: mapSlice(keys, apiKey), NextCursor: cursor(next)})
	return nil
}

func (a *api) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var req apitypes.APIKeyCreateRequest
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	k, secret, err := a.Tenants.CreateAPIKey(r.Context(), principal(r), tenants.NewAPIKey{Name: req.Name, Role: tenants.Role(req.Role), ExpiresAt: req.ExpiresAt})
	if err != nil {
		return err
	}
	v := apiKey(k)
	httpx.WriteJSON(w, http.StatusCreated, apitypes.APIKeyCreated{ID: v.ID, Name: v.Name, Prefix: v.Prefix, Role: v.Role, CreatedBy: v.CreatedBy,
		CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt, LastUsedAt: v.LastUsedAt, Secret: secret})
	return nil
}

func keyID(r *http.Request) ids.APIKeyID { return ids.APIKeyID(chi.URLParam(r, "keyId")) }

func (a *api) getAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := a.Tenants.GetAPIKey(r.Context(), principal(r).Tenant, keyID(r))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apiKey(k))
	return nil
}

func (a *api) deleteAPIKey(w http.ResponseWriter, r *http.Request) error {
	if err := a.Tenants.RevokeAPIKey(r.Context(), principal(r), keyID(r)); err != nil {
		return err
	}
	return noContent(w)
}
