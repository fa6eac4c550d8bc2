package gateway

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// workloadIn is what a client may set on a workload; id and managed are
// the server's.
type workloadIn struct {
	Name       string             `json:"name"`
	Hostname   string             `json:"hostname"`
	Interfaces []policy.Interface `json:"interfaces"`
	Labels     []policy.LabelID   `json:"labels"`
	Mode       policy.Mode        `json:"enforcement_mode"`
}

func (in workloadIn) workload(id string) policy.Workload {
	return policy.Workload{ID: policy.WorkloadID(id), Name: in.Name, Hostname: in.Hostname, Interfaces: in.Interfaces, Labels: in.Labels, Mode: in.Mode}
}

// workloadItem is one item of a bulk create or update.
type workloadItem struct {
	ID string `json:"id"`
	workloadIn
}

func encWorkload(wr policystore.WorkloadRecord) (json.RawMessage, error) {
	return withMeta(wr.Workload, stamped(wr.CreatedAt, wr.UpdatedAt, nil))
}

func writeWorkload(w http.ResponseWriter, status int, wr policystore.WorkloadRecord) error {
	return writeStored(w, status, wr.Revision, wr.Workload, stamped(wr.CreatedAt, wr.UpdatedAt, nil))
}

func (a *api) listWorkloads(w http.ResponseWriter, r *http.Request) error {
	pr, err := httpx.PageRequest(r)
	if err != nil {
		return err
	}
	ws, next, err := a.policy.ListWorkloads(r.Context(), principal(r).Tenant, r.URL.Query().Get("label"), pr)
	if err != nil {
		return err
	}
	return writeList(w, ws, next, encWorkload)
}

func (a *api) createWorkload(w http.ResponseWriter, r *http.Request) error {
	var in workloadIn
	if err := httpx.Decode(w, r, &in); err != nil {
		return err
	}
	out, err := a.policy.CreateWorkloads(r.Context(), principal(r).Tenant, []policy.Workload{in.workload("")}, "")
	if err != nil {
		return err
	}
	a.recompute(r, "workload created")
	return writeWorkload(w, http.StatusCreated, out[0])
}

func workloadID(r *http.Request) string { return chi.URLParam(r, "workloadId") }

func (a *api) getWorkload(w http.ResponseWriter, r *http.Request) error {
	wr, err := a.policy.GetWorkload(r.Context(), principal(r).Tenant, workloadID(r))
	if err != nil {
		return err
	}
	return writeWorkload(w, http.StatusOK, wr)
}

func (a *api) updateWorkload(w http.ResponseWriter, r *http.Request) error {
	var in workloadIn
	if err := httpx.Decode(w, r, &in); err != nil {
		return err
	}
	out, err := a.policy.UpdateWorkloads(r.Context(), principal(r).Tenant, []policy.Workload{in.workload(workloadID(r))}, "", r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	a.recompute(r, "workload updated")
	return writeWorkload(w, http.StatusOK, out[0])
}

func (a *api) deleteWorkload(w http.ResponseWriter, r *http.Request) error {
	if err := a.policy.DeleteWorkloads(r.Context(), principal(r).Tenant, []string{workloadID(r)}, "", r.Header.Get("If-Match")); err != nil {
		return err
	}
	a.recompute(r, "workload deleted")
	return noContent(w)
}

// bulkSize checks a bulk request's item count against field.
func bulkSize(n int, field string) error {
	if n < 1 || n > policystore.MaxBulk {
		return usererr.Field(usererr.Invalid, field, "must hold 1 to 1000 items")
	}
	return nil
}

func (a *api) bulkCreateWorkloads(w http.ResponseWriter, r *http.Request) error {
	return a.bulkWrite(w, r, http.StatusCreated, func(ctx context.Context, tenant ids.TenantID, ws []policy.Workload) ([]policystore.WorkloadRecord, error) {
		return a.policy.CreateWorkloads(ctx, tenant, ws, "items")
	})
}

func (a *api) bulkUpdateWorkloads(w http.ResponseWriter, r *http.Request) error {
	return a.bulkWrite(w, r, http.StatusOK, func(ctx context.Context, tenant ids.TenantID, ws []policy.Workload) ([]policystore.WorkloadRecord, error) {
		return a.policy.UpdateWorkloads(ctx, tenant, ws, "items", "")
	})
}

// bulkWrite decodes {items: [...]} and answers what write made of them.
// An item's id is for updates; the store refuses one on a create.
func (a *api) bulkWrite(w http.ResponseWriter, r *http.Request, status int,
	write func(context.Context, ids.TenantID, []policy.Workload) ([]policystore.WorkloadRecord, error)) error {
	var req struct {
		Items []workloadItem `json:"items"`
	}
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	if err := bulkSize(len(req.Items), "items"); err != nil {
		return err
	}
	ws := make([]policy.Workload, len(req.Items))
	for i, in := range req.Items {
		ws[i] = in.workload(in.ID)
	}
	out, err := write(r.Context(), principal(r).Tenant, ws)
	if err != nil {
		return err
	}
	a.recompute(r, "workloads written")
	return writeList(w, out, "", encWorkload, status)
}

func (a *api) bulkDeleteWorkloads(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	if err := bulkSize(len(req.IDs), "ids"); err != nil {
		return err
	}
	if err := a.policy.DeleteWorkloads(r.Context(), principal(r).Tenant, req.IDs, "ids", ""); err != nil {
		return err
	}
	a.recompute(r, "workloads deleted")
	httpx.WriteJSON(w, http.StatusOK, map[string]int{"deleted": len(req.IDs)})
	return nil
}
