package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/tenants"
)

// objectRoutes are the five routes of one versioned kind (label groups,
// services, IP lists, rulesets): reads of any state, writes to the draft.
func objectRoutes[T any](base, param string, objs policystore.Objects[T]) []route {
	item := base + "/{" + param + "}"
	id := func(r *http.Request) string { return chi.URLParam(r, param) }
	enc := func(o policystore.Object[T]) (json.RawMessage, error) {
		return withMeta(o.Value, stamped(o.CreatedAt, o.UpdatedAt, o.Warnings))
	}
	write := func(w http.ResponseWriter, status int, o policystore.Object[T]) error {
		return writeStored(w, status, o.Revision, o.Value, stamped(o.CreatedAt, o.UpdatedAt, o.Warnings))
	}
	return []route{
		{method: http.MethodGet, pattern: base, role: tenants.Viewer, h: func(w http.ResponseWriter, r *http.Request) error {
			pr, err := httpx.PageRequest(r)
			if err != nil {
				return err
			}
			sel, err := versionParam(r)
			if err != nil {
				return err
			}
			items, next, err := objs.List(r.Context(), principal(r).Tenant, sel, pr)
			if err != nil {
				return err
			}
			return writeList(w, items, next, enc)
		}},
		{method: http.MethodPost, pattern: base, role: tenants.Editor, h: func(w http.ResponseWriter, r *http.Request) error {
			var v T
			if err := httpx.Decode(w, r, &v); err != nil {
				return err
			}
			o, err := objs.Create(r.Context(), principal(r).Tenant, v)
			if err != nil {
				return err
			}
			return write(w, http.StatusCreated, o)
		}},
		{method: http.MethodGet, pattern: item, role: tenants.Viewer, h: func(w http.ResponseWriter, r *http.Request) error {
			sel, err := versionParam(r)
			if err != nil {
				return err
			}
			o, err := objs.Get(r.Context(), principal(r).Tenant, id(r), sel)
			if err != nil {
				return err
			}
			return write(w, http.StatusOK, o)
		}},
		{method: http.MethodPut, pattern: item, role: tenants.Editor, h: func(w http.ResponseWriter, r *http.Request) error {
			var v T
			if err := httpx.Decode(w, r, &v); err != nil {
				return err
			}
			o, err := objs.Update(r.Context(), principal(r).Tenant, id(r), v, r.Header.Get("If-Match"))
			if err != nil {
				return err
			}
			return write(w, http.StatusOK, o)
		}},
		{method: http.MethodDelete, pattern: item, role: tenants.Editor, h: func(w http.ResponseWriter, r *http.Request) error {
			if err := objs.Delete(r.Context(), principal(r).Tenant, id(r), r.Header.Get("If-Match")); err != nil {
				return err
			}
			return noContent(w)
		}},
	}
}

// versionParam reads ?version=draft|active|N, draft by default.
func versionParam(r *http.Request) (policystore.Selector, error) {
	return policystore.ParseSelector(r.URL.Query().Get("version"), "version", policystore.Draft)
}
