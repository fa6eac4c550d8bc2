package policystore_test

import (
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/usererr"
)

func TestCheckResolvesSourceAddresses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	web, db := e.label("role", "web"), e.label("role", "db")
	ws, err := e.store.CreateWorkloads(e.ctx, e.tenant, []policy.Workload{
		{Name: "web-1", Labels: []policy.LabelID{web}, Interfaces: []policy.Interface{
			{Name: "eth0", Addresses: []string{"10.0.0.1"}}, {Name: "eth1", Addresses: []string{"fd00:0:0::1", "2001:db8::10"}}}},
		{Name: "web-2", Labels: []policy.LabelID{web}, Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{"::ffff:10.0.0.9"}}}},
		{Name: "db-1", Mode: policy.Full, Labels: []policy.LabelID{db}, Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{"10.0.0.2"}}}},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	web1, db1 := ws[0].ID, ws[2].ID
	rs := create(e, e.store.Rulesets(), allowRS("web to db", actors(byLabel(db)), actors(byLabel(web)), tcp(5432))).Value
	e.provision("web to db")
	allowed := policy.Decision{Verdict: policy.Allowed, Reason: policy.ByAllow, Mode: policy.Full,
		Rules: []policy.RuleRef{{Ruleset: rs.ID, Rule: rs.Rules[0].ID}}}
	blocked := policy.Decision{Verdict: policy.Blocked, Reason: policy.ByDefault, Mode: policy.Full, Rules: []policy.RuleRef{}}

	for _, tc := range []struct {
		source string
		want   policy.Decision
	}{
		{"10.0.0.1", allowed},
		{"fd00::1", allowed},
		{"FD00:0000::0001", allowed},
		{"2001:db8::10", allowed},
		{"::ffff:10.0.0.1", allowed},
		{"10.0.0.9", allowed}, // web-2 holds it as ::ffff:10.0.0.9
		{"10.0.0.2", blocked},
		{"10.0.0.200", blocked},
		{"fd00::2", blocked},
		{string(web1), allowed},
		{string(db1), blocked},
	} {
		t.Run(tc.source, func(t *testing.T) {
			ds, at, err := e.store.Check(e.ctx, e.tenant, policystore.Active, []policystore.FlowQuery{flow(tc.source, db1, 5432)}, "flows")
			if err != nil {
				t.Fatal(err)
			}
			if at != "1" {
				t.Errorf("answered for %q, want version 1", at)
			}
			same(t, "decision", ds[0], tc.want)
		})
	}

	// Addresses follow a workload update.
	w := ws[0].Workload
	w.Interfaces = []policy.Interface{{Name: "eth0", Addresses: []string{"10.0.0.5"}}}
	if _, err := e.store.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{w}, "", ""); err != nil {
		t.Fatal(err)
	}
	same(t, "after readdressing", verdicts(e.check(policystore.Active, flow("10.0.0.1", db1, 5432), flow("fd00::1", db1, 5432), flow("10.0.0.5", db1, 5432))),
		[]policy.Verdict{policy.Blocked, policy.Blocked, policy.Allowed})
}

func TestCheckDraft(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	rs := create(e, e.store.Rulesets(), allowRS("ssh", actors(byLabel(w.db)), actors(byLabel(w.web)), tcp(22))).Value
	q := []policystore.FlowQuery{flow(w.web1, w.db1, 22)}

	ds, at, err := e.store.Check(e.ctx, e.tenant, policystore.Active, q, "flows")
	if err != nil || at != "1" || ds[0].Verdict != policy.Blocked {
		t.Errorf("active: %+v at %q, %v; want blocked at version 1", ds, at, err)
	}
	ds, at, err = e.store.Check(e.ctx, e.tenant, policystore.Draft, q, "flows")
	if err != nil || at != "draft" {
		t.Fatalf("draft: at %q, %v", at, err)
	}
	same(t, "draft decision", ds[0], policy.Decision{Verdict: policy.Allowed, Reason: policy.ByAllow, Mode: policy.Full,
		Rules: []policy.RuleRef{{Ruleset: rs.ID, Rule: rs.Rules[0].ID}}})
	if _, _, err := e.store.Check(e.ctx, e.tenant, policystore.Selector{N: 7}, q, "flows"); !usererr.Is(err, usererr.NotFound) {
		t.Errorf("check against an unknown version: %v, want NotFound", err)
	}
}

func TestCheckRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	good := flow(w.web1, w.db1, 5432)
	with := func(f func(*policystore.FlowQuery)) policystore.FlowQuery {
		q := good
		f(&q)
		return q
	}
	for _, tc := range []struct {
		name   string
		flows  []policystore.FlowQuery
		prefix string
		kind   usererr.Kind
		fields []string
	}{
		{"unknown destination", []policystore.FlowQuery{good, with(func(q *policystore.FlowQuery) { q.Destination = newID() })},
			"flows", usererr.Invalid, []string{"flows[1].destination"}},
		{"malformed destination", []policystore.FlowQuery{with(func(q *policystore.FlowQuery) { q.Destination = "10.0.0.2" })},
			"flows", usererr.Invalid, []string{"flows[0].destination"}},
		{"unknown source workload", []policystore.FlowQuery{with(func(q *policystore.FlowQuery) { q.Source = newID() })},
			"flows", usererr.Invalid, []string{"flows[0].source"}},
		{"malformed source", []policystore.FlowQuery{with(func(q *policystore.FlowQuery) { q.Source = "web-1" })},
			"flows", usererr.Invalid, []string{"flows[0].source"}},
		{"source with zone", []policystore.FlowQuery{with(func(q *policystore.FlowQuery) { q.Source = "fe80::1%eth0" })},
			"flows", usererr.Invalid, []string{"flows[0].source"}},
		{"bad proto", []policystore.FlowQuery{good, good, with(func(q *policystore.FlowQuery) { q.Proto = "sctp" })},
			"flows", usererr.Invalid, []string{"flows[2].proto"}},
		{"no port", []policystore.FlowQuery{with(func(q *policystore.FlowQuery) { q.Port = nil })},
			"flows", usererr.Invalid, []string{"flows[0].port"}},
		{"port 0", []policystore.FlowQuery{with(func(q *policystore.FlowQuery) { q.Port = ptr(0) })},
			"flows", usererr.Invalid, []string{"flows[0].port"}},
		{"port too big", []policystore.FlowQuery{with(func(q *policystore.FlowQuery) { q.Port = ptr(65536) })},
			"flows", usererr.Invalid, []string{"flows[0].port"}},
		{"icmp with a port", []policystore.FlowQuery{with(func(q *policystore.FlowQuery) { q.Proto = "icmp" })},
			"flows", usererr.Invalid, []string{"flows[0].port"}},
		{"icmp type out of range", []policystore.FlowQuery{with(func(q *policystore.FlowQuery) { q.Proto, q.Port, q.ICMPType = "icmp", nil, ptr(256) })},
			"flows", usererr.Invalid, []string{"flows[0].icmp_type"}},
		{"every bad flow at once", []policystore.FlowQuery{
			with(func(q *policystore.FlowQuery) { q.Proto = "gre" }), good, with(func(q *policystore.FlowQuery) { q.Port = ptr(-1) })},
			"flows", usererr.Invalid, []string{"flows[0].proto", "flows[2].port"}},
		{"single flow", []policystore.FlowQuery{with(func(q *policystore.FlowQuery) { q.Port = nil })},
			"", usererr.Invalid, []string{"port"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.store.Check(e.ctx, e.tenant, policystore.Active, tc.flows, tc.prefix)
			wantErr(t, err, tc.kind, tc.fields...)
		})
	}
	if ds := e.check(policystore.Active, flow(w.web1, w.db1, 5432), policystore.FlowQuery{Source: "10.0.0.1", Destination: string(w.db1), Proto: "icmp"}); len(ds) != 2 {
		t.Errorf("good flows: %+v", ds)
	}
}
