package policystore_test

import (
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/usererr"
)

// Tenant B sees none of tenant A's objects, labels or workloads, by id or
// by reference, and its attempts change nothing of A's.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	a := newEnv(t)
	w := newWorld(a)
	update(a, a.store.Services(), string(w.pg), svc("postgres", 6432)) // A's draft and active differ
	before := a.view(policystore.Draft, w.flows...)
	beforeActive := a.view(policystore.Active, w.flows...)
	b := a.as(a.signup())
	bWeb := b.label("role", "web")
	bW := b.workload("web-1", policy.Full, "10.0.0.1", bWeb)

	notFound := []struct {
		name string
		err  func() error
	}{
		{"get ruleset", func() error {
			_, err := b.store.Rulesets().Get(b.ctx, b.tenant, string(w.toDB), policystore.Draft)
			return err
		}},
		{"get active ruleset", func() error {
			_, err := b.store.Rulesets().Get(b.ctx, b.tenant, string(w.toDB), policystore.Active)
			return err
		}},
		{"update service", func() error {
			_, err := b.store.Services().Update(b.ctx, b.tenant, string(w.pg), svc("mine", 1), "")
			return err
		}},
		{"delete IP list", func() error { return b.store.IPLists().Delete(b.ctx, b.tenant, string(w.office), "*") }},
		{"delete label group", func() error { return b.store.LabelGroups().Delete(b.ctx, b.tenant, string(w.webs), "") }},
		{"get label", func() error { _, err := b.store.GetLabel(b.ctx, b.tenant, string(w.web)); return err }},
		{"update label", func() error {
			_, err := b.store.UpdateLabel(b.ctx, b.tenant, string(w.web), "role", "mine", "")
			return err
		}},
		{"delete label", func() error { return b.store.DeleteLabel(b.ctx, b.tenant, string(w.prod), "") }},
		{"get workload", func() error { _, err := b.store.GetWorkload(b.ctx, b.tenant, string(w.web1)); return err }},
		{"update workload", func() error {
			_, err := b.store.UpdateWorkloads(b.ctx, b.tenant, []policy.Workload{{ID: w.web1, Name: "mine"}}, "", "")
			return err
		}},
		{"delete workload", func() error {
			return b.store.DeleteWorkloads(b.ctx, b.tenant, []string{string(w.db1)}, "", "")
		}},
		{"get version", func() error { _, err := b.store.GetVersion(b.ctx, b.tenant, 1); return err }},
		{"export version", func() error { _, err := b.store.Export(b.ctx, b.tenant, policystore.Selector{N: 1}); return err }},
		{"rollback", func() error { _, err := b.store.Rollback(b.ctx, b.tenant, b.author(), 1, ""); return err }},
	}
	for _, tc := range notFound {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.err(), usererr.NotFound) })
	}

	invalid := []struct {
		name   string
		err    func() error
		fields []string
	}{
		{"check with A's workloads", func() error {
			_, _, err := b.store.Check(b.ctx, b.tenant, policystore.Active, w.flows[:1], "flows")
			return err
		}, []string{"flows[0].source", "flows[0].destination"}},
		{"workload with A's label", func() error {
			_, err := b.store.CreateWorkloads(b.ctx, b.tenant, []policy.Workload{wl("w", "10.0.0.3", w.db)}, "")
			return err
		}, []string{"labels[0]"}},
		{"ruleset with A's label and service", func() error {
			_, err := b.store.Rulesets().Create(b.ctx, b.tenant, allowRS("r", actors(byLabel(w.db)), actors(byLabel(bWeb)), named(w.pg)))
			return err
		}, []string{"rules[0].providers[0].label", "rules[0].services[0].service"}},
		{"provision A's object", func() error {
			b.service("pending", 1) // so that B has something pending
			_, err := b.store.Provision(b.ctx, b.tenant, b.author(), "steal", []policystore.ObjectKey{key(policy.KindService, w.pg)})
			return err
		}, []string{"objects[0].id"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.err(), usererr.Invalid, tc.fields...) })
	}

	// 10.0.0.2 is A's db-1; in B it is nobody, and nothing allows it.
	same(t, "B's decision", verdicts(b.check(policystore.Draft, flow("10.0.0.2", bW, 80))), []policy.Verdict{policy.Blocked})

	same(t, "A's draft", a.view(policystore.Draft, w.flows...), before)
	same(t, "A's active version", a.view(policystore.Active, w.flows...), beforeActive)
	if ws := a.allWorkloads(); len(ws) != 2 {
		t.Errorf("A has %d workloads, want 2", len(ws))
	}
	if n := len(a.labels()); n != 3 {
		t.Errorf("A has %d labels, want 3", n)
	}
	same(t, "B's labels", len(b.labels()), 1)
	same(t, "B's workloads", len(b.allWorkloads()), 1)
	same(t, "B's draft", len(b.export(policystore.Draft).Services), 1)
}
