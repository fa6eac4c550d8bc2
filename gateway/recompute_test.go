package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/remora-sec/remora/compute/docstore"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/compute/worker"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/ven/wire"
)

// jobs drains the recompute queue and returns the causes per tenant.
func (e *env) jobs() map[ids.TenantID][]string {
	e.t.Helper()
	got, err := e.queue.Read(context.Background(), "test", 1000, 10*time.Millisecond, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[ids.TenantID][]string{}
	for _, j := range got {
		out[j.Tenant] = append(out[j.Tenant], j.Cause)
	}
	return out
}

// TestWritesWakeCompute: each write that can change enforcement enqueues
// one recompute of its tenant after it commits; draft edits, refused
// writes and reads enqueue nothing.
func TestWritesWakeCompute(t *testing.T) {
	e := newEnv(t)
	o := e.signup("Acme")
	tok := o.owner
	w := e.world(tok) // labels, two workloads, a service and a ruleset
	if got := e.jobs()[ids.TenantID(o.tenant)]; len(got) != 2 {
		t.Fatalf("after two workload creates and draft edits: jobs %v, want the two creates", got)
	}
	steps := []struct {
		what         string
		status       int
		method, path string
		body         any
		want         string // the cause, "" for no job
	}{
		{"provision", http.StatusCreated, "POST", api("policy", "provision"), obj{"note": "v1"}, "provision"},
		{"draft edit", http.StatusCreated, "POST", api("services"), serviceBody("ssh", tcp(22)), ""},
		{"refused provision", http.StatusUnprocessableEntity, "POST", api("policy", "provision"), obj{"note": ""}, ""},
		{"workload update", http.StatusOK, "PUT", api("workloads", w.webW), workloadBody("web-2", "full", "10.0.0.9", w.web), "workload updated"},
		{"bulk create", http.StatusCreated, "POST", api("workloads", "bulk-create"), obj{"items": arr{workloadBody("x", "", "")}}, "workloads written"},
		{"read", http.StatusOK, "GET", api("workloads"), nil, ""},
		{"workload delete", http.StatusNoContent, "DELETE", api("workloads", w.dbW), nil, "workload deleted"},
		{"revert", http.StatusOK, "POST", api("policy", "revert"), obj{}, ""},
		{"provision 2", http.StatusCreated, "POST", api("policy", "provision"), obj{"note": "v2"}, ""},
	}
	for _, s := range steps {
		if s.what == "provision 2" {
			e.create(tok, "services", serviceBody("dns", obj{"proto": "udp", "port": 53}))
			s.want = "provision"
		}
		e.must(s.status, s.method, s.path, tok, s.body)
		got := e.jobs()
		switch {
		case s.want == "" && len(got) != 0:
			t.Fatalf("%s: jobs %v, want none", s.what, got)
		case s.want != "" && (len(got[ids.TenantID(o.tenant)]) != 1 || got[ids.TenantID(o.tenant)][0] != s.want):
			t.Fatalf("%s: jobs %v, want one %q for tenant %s", s.what, got, s.want, o.tenant)
		}
	}
	e.must(http.StatusCreated, "POST", api("policy", "rollback"), tok, obj{"version": 1})
	if got := e.jobs()[ids.TenantID(o.tenant)]; len(got) != 1 || got[0] != "rollback" {
		t.Fatalf("rollback: jobs %v", got)
	}
}

type statusOut struct {
	Desired  int64 `json:"desired_generation"`
	Computed int64 `json:"computed_generation"`
	Active   int   `json:"active_version"`
}

// TestCompiledRulesAndStatus: /policy/status shows the desired generation
// ahead until a recompute; then /workloads/{id}/rules shows the compiled
// document, to every role of the tenant and to no other tenant.
func TestCompiledRulesAndStatus(t *testing.T) {
	e := newEnv(t)
	o := e.populate(e.signup("Acme"))
	tok := o.owner
	w := e.world(tok)
	e.provision(tok, "v1")
	st := decode[statusOut](t, e.must(http.StatusOK, "GET", api("policy", "status"), o.tokens[tenants.Viewer], nil))
	if st.Desired != 3 || st.Computed != 0 || st.Active != 1 {
		t.Fatalf("status before compute: %+v, want desired 3 (two workloads, one provision), computed 0, version 1", st)
	}
	wantProblem(t, e.call("GET", api("workloads", w.dbW, "rules"), tok, nil), http.StatusNotFound, "")

	ctx := context.Background()
	if _, err := worker.Recompute(ctx, policystore.New(e.store), docstore.New(e.store), ids.TenantID(o.tenant)); err != nil {
		t.Fatal(err)
	}
	st = decode[statusOut](t, e.must(http.StatusOK, "GET", api("policy", "status"), tok, nil))
	if st.Computed != st.Desired {
		t.Fatalf("status after compute: %+v", st)
	}
	doc := decode[wire.Document](t, e.must(http.StatusOK, "GET", api("workloads", w.dbW, "rules"), o.keys[tenants.Viewer], nil))
	if len(doc.Rules) != 1 || doc.Rules[0].RuleID != w.rule || doc.Rules[0].Direction != wire.Inbound || doc.Generation != uint64(st.Computed) {
		t.Fatalf("db's document: %+v, want one inbound rule from %s at generation %d", doc, w.rule, st.Computed)
	}
	if len(doc.Sets) != 1 || len(doc.Sets[0].Prefixes) != 1 || doc.Sets[0].Prefixes[0].String() != w.webIP+"/32" {
		t.Fatalf("db's peer set: %+v, want web's address", doc.Sets)
	}
	other := e.signup("Other")
	wantProblem(t, e.call("GET", api("workloads", w.dbW, "rules"), other.owner, nil), http.StatusNotFound, "")
	wantProblem(t, e.call("GET", api("workloads", w.dbW, "rules"), "", nil), http.StatusUnauthorized, "")
	if st := decode[statusOut](t, e.must(http.StatusOK, "GET", api("policy", "status"), other.owner, nil)); st.Desired != 0 || st.Active != 0 {
		t.Fatalf("another tenant's status: %+v, want untouched", st)
	}
}
