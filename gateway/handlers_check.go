package gateway

import (
	"fmt"
	"net/http"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/gateway/httpx"
	"github.com/remora-sec/remora/infra/usererr"
)

// flowIn is one flow of a check request.
type flowIn struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Proto       string `json:"proto"`
	Port        *int   `json:"port"`
	ICMPType    *int   `json:"icmp_type"`
	ICMPCode    *int   `json:"icmp_code"`
}

func (f flowIn) query() policystore.FlowQuery {
	return policystore.FlowQuery{Source: f.Source, Destination: f.Destination, Proto: f.Proto, Port: f.Port, ICMPType: f.ICMPType, ICMPCode: f.ICMPCode}
}

// checkResult is a decision and the policy state it answers.
type checkResult struct {
	policy.Decision
	Version string `json:"version"`
}

// checkVersion reads a check's version: active (the default) or draft.
func checkVersion(s, field string) (policystore.Selector, error) {
	switch s {
	case "", "active":
		return policystore.Active, nil
	case "draft":
		return policystore.Draft, nil
	}
	return policystore.Selector{}, usererr.Field(usererr.Invalid, field, fmt.Sprintf("must be active or draft, not %q", s))
}

func (a *api) check(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		flowIn
		Version string `json:"version"`
	}
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	sel, err := checkVersion(req.Version, "version")
	if err != nil {
		return err
	}
	ds, at, err := a.policy.Check(r.Context(), principal(r).Tenant, sel, []policystore.FlowQuery{req.query()}, "")
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, checkResult{ds[0], at})
	return nil
}

func (a *api) checkBatch(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Flows   []flowIn `json:"flows"`
		Version string   `json:"version"`
	}
	if err := httpx.Decode(w, r, &req); err != nil {
		return err
	}
	sel, err := checkVersion(req.Version, "version")
	if err != nil {
		return err
	}
	if len(req.Flows) < 1 || len(req.Flows) > policystore.MaxFlows {
		return usererr.Field(usererr.Invalid, "flows", "must hold 1 to 1000 flows")
	}
	qs := make([]policystore.FlowQuery, len(req.Flows))
	for i, f := range req.Flows {
		qs[i] = f.query()
	}
	ds, at, err := a.policy.Check(r.Context(), principal(r).Tenant, sel, qs, "flows")
	if err != nil {
		return err
	}
	out := make([]checkResult, len(ds))
	for i, d := range ds {
		out[i] = checkResult{d, at}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string][]checkResult{"results": out})
	return nil
}
