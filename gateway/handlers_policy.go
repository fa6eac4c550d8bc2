package gateway

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/infra/usererr"
)

// MaxImport is the largest policy document an import accepts.
const MaxImport = 8 << 20

type versionOut struct {
	Version       int       `json:"version"`
	Note          string    `json:"note"`
	ProvisionedAt time.Time `json:"provisioned_at"`
	ProvisionedBy *string   `json:"provisioned_by,omitempty"`
	APIKey        *string   `json:"api_key,omitempty"`
	RollbackOf    *int      `json:"rollback_of,omitempty"`
	Changes       struct {
		Added   int `json:"added"`
		Changed int `json:"changed"`
		Removed int `json:"removed"`
	} `json:"changes"`
}

func apiVersion(v policystore.Version) versionOut {
	out := versionOut{Version: v.Version, Note: v.Note, ProvisionedAt: v.ProvisionedAt.UTC(), ProvisionedBy: v.ProvisionedBy,
		APIKey: v.APIKey, RollbackOf: v.RollbackOf}
	out.Changes.Added, out.Changes.Changed, out.Changes.Removed = v.Added, v.Changed, v.Removed
	return out
}

type objectRefOut struct {
	Kind policy.Kind `json:"kind"`
	ID   string      `json:"id"`
	Name string      `json:"name"`
}

type changesOut struct {
	Added   []objectRefOut `json:"added"`
	Changed []objectRefOut `json:"changed"`
	Removed []objectRefOut `json:"removed"`
}

func apiChanges(c policystore.Changes) changesOut {
	ref := func(r policystore.ObjectRef) objectRefOut { return objectRefOut{r.Kind, r.ID, r.Name} }
	return changesOut{Added: mapSlice(c.Added, ref), Changed: mapSlice(c.Changed, ref), Removed: mapSlice(c.Removed, ref)}
}

func author(r *http.Request) policystore.Author {
	p := principal(r)
	return policystore.Author{User: p.User, APIKey: p.APIKey}
}

func (a *api) provision(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Note    string `json:"note"`
		Objects []struct {
			Kind policy.Kind `json:"kind"`
			ID   string      `json:"id"`
		} `json:"objects"`
	}
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	keys := make([]policystore.ObjectKey, len(req.Objects))
	for i, o := range req.Objects {
		keys[i] = policystore.ObjectKey{Kind: o.Kind, ID: o.ID}
	}
	v, err := a.policy.Provision(r.Context(), principal(r).Tenant, author(r), req.Note, keys)
	if err != nil {
		return err
	}
	a.recompute(r, "provision")
	httpx.WriteJSON(w, http.StatusCreated, apiVersion(v))
	return nil
}

func (a *api) listVersions(w http.ResponseWriter, r *http.Request) error {
	pr, err := httpx.PageRequest(r)
	if err != nil {
		return err
	}
	vs, next, err := a.policy.ListVersions(r.Context(), principal(r).Tenant, pr)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list[versionOut]{Items: mapSlice(vs, apiVersion), NextCursor: cursor(next)})
	return nil
}

func (a *api) getVersion(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(chi.URLParam(r, "version"))
	if err != nil || n < 1 {
		return usererr.New(usererr.NotFound, "policy version not found")
	}
	v, err := a.policy.GetVersion(r.Context(), principal(r).Tenant, n)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, apiVersion(v))
	return nil
}

func (a *api) diff(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := policystore.ParseSelector(q.Get("from"), "from", policystore.Active)
	if err != nil {
		return err
	}
	to, err := policystore.ParseSelector(q.Get("to"), "to", policystore.Draft)
	if err != nil {
		return err
	}
	d, err := a.policy.Diff(r.Context(), principal(r).Tenant, from, to)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		From string `json:"from"`
		To   string `json:"to"`
		changesOut
	}{d.From, d.To, apiChanges(d.Changes)})
	return nil
}

func (a *api) revert(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength != 0 {
		var req struct{}
		if err := httpx.Decode(w, r, &req); err != nil {
			return err
		}
	}
	c, err := a.policy.Revert(r.Context(), principal(r).Tenant)
	if err != nil {
		return err
	}
	// One list, as the contract has it: whether a dropped change was an
	// addition, an edit or a removal is the diff's business.
	out := apiChanges(c)
	reverted := make([]objectRefOut, 0, c.Len())
	for _, l := range [][]objectRefOut{out.Added, out.Changed, out.Removed} {
		reverted = append(reverted, l...)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string][]objectRefOut{"reverted": reverted})
	return nil
}

func (a *api) rollback(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Version int    `json:"version"`
		Note    string `json:"note"`
	}
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	if req.Version < 1 {
		return usererr.Field(usererr.Invalid, "version", "must be a provisioned version number")
	}
	v, err := a.policy.Rollback(r.Context(), principal(r).Tenant, author(r), req.Version, req.Note)
	if err != nil {
		return err
	}
	a.recompute(r, "rollback")
	httpx.WriteJSON(w, http.StatusCreated, apiVersion(v))
	return nil
}

func (a *api) export(w http.ResponseWriter, r *http.Request) error {
	sel, err := versionParam(r)
	if err != nil {
		return err
	}
	p, err := a.policy.Export(r.Context(), principal(r).Tenant, sel)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (a *api) importPolicy(w http.ResponseWriter, r *http.Request) error {
	dry := false
	switch v := r.URL.Query().Get("dry_run"); v {
	case "", "false":
	case "true":
		dry = true
	default:
		return usererr.Field(usererr.Invalid, "dry_run", "must be true or false, not "+strconv.Quote(v))
	}
	var doc policy.Policy
	if err := httpx.DecodeMax(w, r, &doc, MaxImport); err != nil {
		return err
	}
	res, err := a.policy.Import(r.Context(), principal(r).Tenant, &doc, dry)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		DryRun        bool             `json:"dry_run"`
		LabelsCreated []policy.Label   `json:"labels_created"`
		Changes       changesOut       `json:"changes"`
		Warnings      []policy.Warning `json:"warnings"`
	}{res.DryRun, res.LabelsCreated, apiChanges(res.Changes), res.Warnings})
	return nil
}
