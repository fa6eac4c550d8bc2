package gateway

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/web-openapi/apitypes"
)

func (a *api) listUsers(w http.ResponseWriter, r *http.Request) error {
	pr, err := httpx.PageRequest(r)
	if err != nil {
		return err
	}
	users, next, err := a.Tenants.ListUsers(r.Context(), principal(r).Tenant, pr)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apitypes.UserList{Items: mapSlice(users, apiUser), NextCursor: cursor(next)})
	return nil
}

func (a *api) createUser(w http.ResponseWriter, r *http.Request) error {
	var req apitypes.UserCreateRequest
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	u, err := a.Tenants.CreateUser(r.Context(), principal(r), tenants.NewUser{Email: req.Email, Password: req.Password, Role: tenants.Role(req.Role)})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, apiUser(u))
	return nil
}

func userID(r *http.Request) ids.UserID { return ids.UserID(chi.URLParam(r, "userId")) }

func (a *api) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.Tenants.GetUser(r.Context(), principal(r).Tenant, userID(r))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apiUser(u))
	return nil
}

func (a *api) updateUser(w http.ResponseWriter, r *http.Request) error {
	var req apitypes.UserUpdateRequest
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	ch := tenants.UserChange{Email: req.Email}
	if req.Role != nil {
		role := tenants.Role(*req.Role)
		ch.Role = &role
	}
	u, err := a.Tenants.UpdateUser(r.Context(), principal(r), userID(r), ch)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apiUser(u))
	return nil
}

func (a *api) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.Tenants.DeleteUser(r.Context(), principal(r), userID(r)); err != nil {
		return err
	}
	return noContent(w)
}
