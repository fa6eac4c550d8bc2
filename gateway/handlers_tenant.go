package gateway

import (
	"net/http"

	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/web-openapi/apitypes"
)

func (a *api) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := a.Tenants.GetTenant(r.Context(), principal(r).Tenant)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apiTenant(t))
	return nil
}

func (a *api) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	var req apitypes.TenantDeleteRequest
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	if err := a.Tenants.DeleteTenant(r.Context(), principal(r), req.Confirm); err != nil {
		return err
	}
	return noContent(w)
}
