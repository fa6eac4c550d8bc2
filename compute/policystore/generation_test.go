package policystore_test

import (
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
)

// TestGenerations: the writes that can change enforcement bump the desired
// generation once each, in their own transaction; draft edits, imports,
// reverts and label writes do not, and a refused write bumps nothing.
func TestGenerations(t *testing.T) {
	e := newEnv(t)
	gen := func() int64 {
		t.Helper()
		g, err := e.store.Generations(e.ctx, e.tenant)
		if err != nil {
			t.Fatal(err)
		}
		return g.Desired
	}
	want := int64(0)
	step := func(what string, bumps bool, do func()) {
		t.Helper()
		do()
		if bumps {
			want++
		}
		if got := gen(); got != want {
			t.Fatalf("after %s: desired generation %d, want %d", what, got, want)
		}
	}
	var web policy.LabelID
	var w policy.WorkloadID
	var svc policy.ServiceID
	step("label create", false, func() { web = e.label("role", "web") })
	step("workload create", true, func() { w = e.workload("w", policy.Full, "10.0.0.1", web) })
	step("workload update", true, func() {
		if _, err := e.store.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{{ID: w, Name: "w2", Labels: []policy.LabelID{web}}}, "", ""); err != nil {
			t.Fatal(err)
		}
	})
	step("refused workload update", false, func() {
		if _, err := e.store.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{{ID: w, Name: ""}}, "", ""); err == nil {
			t.Fatal("an empty name was accepted")
		}
	})
	step("bulk create", true, func() {
		if _, err := e.store.CreateWorkloads(e.ctx, e.tenant, []policy.Workload{{Name: "a"}, {Name: "b"}}, "items"); err != nil {
			t.Fatal(err)
		}
	})
	step("draft edit", false, func() { svc = e.service("ssh", 22) })
	step("provision", true, func() { e.provision("first") })
	step("draft delete", false, func() {
		if err := e.store.Services().Delete(e.ctx, e.tenant, string(svc), ""); err != nil {
			t.Fatal(err)
		}
	})
	step("revert", false, func() {
		if _, err := e.store.Revert(e.ctx, e.tenant); err != nil {
			t.Fatal(err)
		}
	})
	step("import", false, func() {
		if _, err := e.store.Import(e.ctx, e.tenant, e.export(policystore.Draft), false); err != nil {
			t.Fatal(err)
		}
	})
	step("partial provision", true, func() {
		id := e.service("dns", 53)
		e.provision("dns", key(policy.KindService, id))
	})
	step("rollback", true, func() {
		if _, err := e.store.Rollback(e.ctx, e.tenant, e.author(), 1, ""); err != nil {
			t.Fatal(err)
		}
	})
	step("refused provision", false, func() {
		if _, err := e.store.Provision(e.ctx, e.tenant, e.author(), "nothing", nil); err == nil {
			t.Fatal("an empty provision was accepted")
		}
	})
	step("workload delete", true, func() {
		if err := e.store.DeleteWorkloads(e.ctx, e.tenant, []string{string(w)}, "", ""); err != nil {
			t.Fatal(err)
		}
	})
	if g, _ := e.store.Generations(e.ctx, e.tenant); g.Computed != 0 || g.ComputedAt != nil {
		t.Errorf("computed generation %+v before any compute", g)
	}
}
