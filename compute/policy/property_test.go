package policy

import (
	"cmp"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// Property tests on random small tenants (see gen_test.go), with a fixed
// seed so a failure reproduces. Each property compares Decide with itself
// on a transformed policy: they check the semantics' symmetries, not one
// expected answer.

const (
	propTenants = 300
	propFlows   = 25
)

// forTenants runs check on propTenants valid random tenants, each with
// propFlows flows. Invalid tenants are skipped, but most must be valid or
// the properties would hold vacuously.
func forTenants(t *testing.T, seed uint64, check func(t *testing.T, g gen, p *Policy, ws []Workload, f Flow)) {
	t.Helper()
	t.Parallel()
	g := gen{rand.New(rand.NewPCG(seed, seed))}
	valid := 0
	for range propTenants {
		p, ws := g.tenant()
		if !tenantValid(t, p, ws) {
			continue
		}
		valid++
		for range propFlows {
			check(t, g, p, ws, g.flow(ws))
			if t.Failed() {
				t.FailNow()
			}
		}
	}
	if valid < propTenants*9/10 {
		t.Fatalf("only %d of %d random tenants are valid: fix the generator", valid, propTenants)
	}
}

func tenantValid(t *testing.T, p *Policy, ws []Workload) bool {
	t.Helper()
	if _, err := p.Validate(hasWorkloadIn(ws)); err != nil {
		t.Logf("generated policy invalid: %v", err)
		return false
	}
	c := p.Catalog(nil)
	for i := range ws {
		if err := ValidateWorkload(&ws[i], c); err != nil {
			t.Logf("generated workload invalid: %v", err)
			return false
		}
	}
	return true
}

// mustDecide is property (4): Decide never fails on a validated policy,
// validated workloads and a well-formed flow.
func mustDecide(t *testing.T, p *Policy, ws []Workload, f Flow) Decision {
	t.Helper()
	d, err := Decide(p, ws, f)
	if err != nil {
		t.Fatalf("Decide on a valid tenant: %v\npolicy %+v\nflow %+v", err, p, f)
	}
	return d
}

// sameDecision compares verdict, reason and the set of rules.
func sameDecision(t *testing.T, what string, got, want Decision, p *Policy, f Flow) {
	t.Helper()
	sortRefs := func(rs []RuleRef) []RuleRef {
		rs = slices.Clone(rs)
		slices.SortFunc(rs, func(a, b RuleRef) int { return cmp.Or(cmp.Compare(a.Ruleset, b.Ruleset), cmp.Compare(a.Rule, b.Rule)) })
		return rs
	}
	if got.Verdict != want.Verdict || got.Reason != want.Reason || !reflect.DeepEqual(sortRefs(got.Rules), sortRefs(want.Rules)) {
		t.Errorf("%s changed the decision: %+v, was %+v\npolicy %+v\nflow %+v", what, got, want, p, f)
	}
}

// Property 1: the order of rulesets and rules does not matter.
func TestPropertyOrderDoesNotMatter(t *testing.T) {
	forTenants(t, 1, func(t *testing.T, g gen, p *Policy, ws []Workload, f Flow) {
		want := mustDecide(t, p, ws, f)
		q := clonePolicy(p)
		g.rng.Shuffle(len(q.Rulesets), func(i, j int) { q.Rulesets[i], q.Rulesets[j] = q.Rulesets[j], q.Rulesets[i] })
		for i := range q.Rulesets {
			rules := q.Rulesets[i].Rules
			g.rng.Shuffle(len(rules), func(i, j int) { rules[i], rules[j] = rules[j], rules[i] })
		}
		sameDecision(t, "shuffling rulesets and rules", mustDecide(t, q, ws, f), want, q, f)
	})
}

// Property 2: a label group means exactly its expanded labels.
func TestPropertyGroupsMeanTheirLabels(t *testing.T) {
	forTenants(t, 2, func(t *testing.T, g gen, p *Policy, ws []Workload, f Flow) {
		want := mustDecide(t, p, ws, f)
		q := clonePolicy(p)
		c := p.Catalog(nil)
		flatten := func(as []Actor) []Actor {
			var out []Actor
			for _, a := range as {
				if a.LabelGroup == "" {
					out = append(out, a)
					continue
				}
				for _, l := range slices.Sorted(maps.Keys(ExpandGroup(c, a.LabelGroup))) {
					out = append(out, Actor{Label: l})
				}
			}
			return out
		}
		for i := range q.Rulesets {
			for j := range q.Rulesets[i].Rules {
				r := &q.Rulesets[i].Rules[j]
				r.Providers, r.Consumers = flatten(r.Providers), flatten(r.Consumers)
			}
			for j, s := range q.Rulesets[i].Scopes {
				var flat Scope
				for _, a := range flatten(scopeActors(s)) {
					flat = append(flat, LabelRef{Label: a.Label})
				}
				q.Rulesets[i].Scopes[j] = flat
			}
		}
		sameDecision(t, "expanding label groups", mustDecide(t, q, ws, f), want, q, f)
	})
}

func scopeActors(s Scope) []Actor {
	var out []Actor
	for _, t := range s {
		out = append(out, Actor{Label: t.Label, LabelGroup: t.LabelGroup})
	}
	return out
}

// Property 3: an override_deny rule never loosens a verdict, an allow rule
// never tightens one, wherever they are added.
func TestPropertyMonotonic(t *testing.T) {
	forTenants(t, 3, func(t *testing.T, g gen, p *Policy, ws []Workload, f Flow) {
		before := mustDecide(t, p, ws, f)
		for _, action := range []Action{OverrideDeny, Allow} {
			q := clonePolicy(p)
			rs := &q.Rulesets[g.pick(len(q.Rulesets))]
			r := g.rule(q, ws, len(rs.Scopes) > 0)
			r.Action, r.ID = action, RuleID(uid("added"))
			at := g.pick(len(rs.Rules) + 1)
			rs.Rules = slices.Insert(rs.Rules, at, r)
			after := mustDecide(t, q, ws, f)
			switch s, s0 := strictness[after.Verdict], strictness[before.Verdict]; {
			case action == OverrideDeny && s < s0:
				t.Errorf("adding an override_deny rule loosened %s to %s\npolicy %+v\nflow %+v", before.Verdict, after.Verdict, q, f)
			case action == Allow && s > s0:
				t.Errorf("adding an allow rule tightened %s to %s\npolicy %+v\nflow %+v", before.Verdict, after.Verdict, q, f)
			}
		}
	})
}

// Property 4 on its own, with more flows per tenant: Decide never fails on
// valid input, and its answer is self-consistent.
func TestPropertyDecideTotal(t *testing.T) {
	forTenants(t, 4, func(t *testing.T, g gen, p *Policy, ws []Workload, f Flow) {
		d := mustDecide(t, p, ws, f)
		dst := findWorkload(ws, f.Destination)
		if d.Mode != dst.Mode {
			t.Errorf("mode %s, destination's is %s", d.Mode, dst.Mode)
		}
		if (d.Reason == ByDefault) != (len(d.Rules) == 0) {
			t.Errorf("reason %s with rules %v", d.Reason, d.Rules)
		}
		if !p.Settings.OutboundEnforcement && d.Verdict != modeVerdicts[dst.Mode][d.Reason] {
			t.Errorf("verdict %s for %s in mode %s", d.Verdict, d.Reason, dst.Mode)
		}
	})
}
