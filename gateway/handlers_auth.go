package gateway

import (
	"net/http"

	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/web-openapi/apitypes"
)

func (a *api) signup(w http.ResponseWriter, r *http.Request) error {
	var req apitypes.SignupRequest
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	res, err := a.Tenants.Signup(r.Context(), tenants.SignupRequest{Organization: req.Organization, Email: req.Email, Password: req.Password})
	if err != nil {
		return err
	}
	t := apiTokens(res.Tokens)
	httpx.WriteJSON(w, http.StatusCreated, apitypes.SignupResponse{
		Tenant: apiTenant(res.Tenant), User: t.User, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		TokenType: apitypes.SignupResponseTokenTypeBearer, ExpiresIn: t.ExpiresIn,
	})
	return nil
}

func (a *api) login(w http.ResponseWriter, r *http.Request) error {
	var req apitypes.LoginRequest
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	tok, err := a.Tenants.Login(r.Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apiTokens(tok))
	return nil
}

func (a *api) refresh(w http.ResponseWriter, r *http.Request) error {
	var req apitypes.RefreshRequest
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	tok, err := a.Tenants.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apiTokens(tok))
	return nil
}

func (a *api) logout(w http.ResponseWriter, r *http.Request) error {
	var req apitypes.LogoutRequest
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	if err := a.Tenants.Logout(r.Context(), req.RefreshToken); err != nil {
		return err
	}
	return noContent(w)
}
