package gateway

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/gateway/httpx"
)

type dimensionOut struct {
	Key       string    `json:"key"`
	Builtin   bool      `json:"builtin"`
	CreatedAt time.Time `json:"created_at"`
}

func apiDimension(d policystore.Dimension) dimensionOut {
	return dimensionOut{Key: d.Key, Builtin: d.Builtin, CreatedAt: d.CreatedAt.UTC()}
}

func (a *api) listDimensions(w http.ResponseWriter, r *http.Request) error {
	ds, err := a.policy.ListDimensions(r.Context(), principal(r).Tenant)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list[dimensionOut]{Items: mapSlice(ds, apiDimension)})
	return nil
}

func (a *api) createDimension(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Key string `json:"key"`
	}
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	d, err := a.policy.CreateDimension(r.Context(), principal(r).Tenant, req.Key)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, apiDimension(d))
	return nil
}

func (a *api) deleteDimension(w http.ResponseWriter, r *http.Request) error {
	if err := a.policy.DeleteDimension(r.Context(), principal(r).Tenant, chi.URLParam(r, "key")); err != nil {
		return err
	}
	return noContent(w)
}

// labelIn is the body of a label create or update.
type labelIn struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func encLabel(l policystore.LabelRecord) (json.RawMessage, error) {
	return withMeta(l.Label, stamped(l.CreatedAt, l.UpdatedAt, nil))
}

func writeLabel(w http.ResponseWriter, status int, l policystore.LabelRecord) error {
	return writeStored(w, status, l.Revision, l.Label, stamped(l.CreatedAt, l.UpdatedAt, nil))
}

func (a *api) listLabels(w http.ResponseWriter, r *http.Request) error {
	pr, err := httpx.PageRequest(r)
	if err != nil {
		return err
	}
	ls, next, err := a.policy.ListLabels(r.Context(), principal(r).Tenant, r.URL.Query().Get("key"), pr)
	if err != nil {
		return err
	}
	return writeList(w, ls, next, encLabel)
}

func (a *api) createLabel(w http.ResponseWriter, r *http.Request) error {
	var req labelIn
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	l, err := a.policy.CreateLabel(r.Context(), principal(r).Tenant, req.Key, req.Value)
	if err != nil {
		return err
	}
	return writeLabel(w, http.StatusCreated, l)
}

func labelID(r *http.Request) string { return chi.URLParam(r, "labelId") }

func (a *api) getLabel(w http.ResponseWriter, r *http.Request) error {
	l, err := a.policy.GetLabel(r.Context(), principal(r).Tenant, labelID(r))
	if err != nil {
		return err
	}
	return writeLabel(w, http.StatusOK, l)
}

func (a *api) updateLabel(w http.ResponseWriter, r *http.Request) error {
	var req labelIn
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	l, err := a.policy.UpdateLabel(r.Context(), principal(r).Tenant, labelID(r), req.Key, req.Value, r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return writeLabel(w, http.StatusOK, l)
}

func (a *api) deleteLabel(w http.ResponseWriter, r *http.Request) error {
	if err := a.policy.DeleteLabel(r.Context(), principal(r).Tenant, labelID(r), r.Header.Get("If-Match")); err != nil {
		return err
	}
	return noContent(w)
}
