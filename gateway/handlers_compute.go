package gateway

import (
	"net/http"
	"time"

	"github.com/remora-sec/remora/gateway/httpx"
)

// getWorkloadRules answers the workload's compiled document, as the
// workers last stored it.
func (a *api) getWorkloadRules(w http.ResponseWriter, r *http.Request) error {
	doc, err := a.docs.Document(r.Context(), principal(r).Tenant, workloadID(r))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, doc)
	return nil
}

func (a *api) policyStatus(w http.ResponseWriter, r *http.Request) error {
	g, err := a.policy.Generations(r.Context(), principal(r).Tenant)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		Desired    int64      `json:"desired_generation"`
		Computed   int64      `json:"computed_generation"`
		Active     int        `json:"active_version"`
		ChangedAt  time.Time  `json:"changed_at"`
		ComputedAt *time.Time `json:"computed_at,omitempty"`
	}{g.Desired, g.Computed, g.Active, g.ChangedAt.UTC(), utc(g.ComputedAt)})
	return nil
}
