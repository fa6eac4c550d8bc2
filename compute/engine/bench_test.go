package engine

import (
	"fmt"
	"slices"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
)

// benchTenant is the scale scenario: 1,000 rulesets of 10 rules,
// one per app (scoped to it, over 3 envs), and n workloads spread over the
// apps, roles and envs.
func benchTenant(n int) (*policy.Policy, []policy.Workload) {
	p := &policy.Policy{}
	lab := func(k string, v int) policy.LabelID {
		id := policy.LabelID(fmt.Sprintf("%08x-0000-4000-8000-%012x", len(p.Labels), 9))
		p.Labels = append(p.Labels, policy.Label{ID: id, Key: k, Value: fmt.Sprint(v)})
		return id
	}
	const apps = 1000
	roles := []policy.LabelID{lab("role", 0), lab("role", 1), lab("role", 2), lab("role", 3)}
	envs := []policy.LabelID{lab("env", 0), lab("env", 1), lab("env", 2)}
	appIDs := make([]policy.LabelID, apps)
	for a := range appIDs {
		appIDs[a] = lab("app", a)
	}
	for a := range apps {
		rs := policy.Ruleset{ID: policy.RulesetID(fmt.Sprintf("%08x-0000-4000-8000-%012x", a, 7)), Name: fmt.Sprint("app", a),
			Scopes: []policy.Scope{{{Label: appIDs[a]}}}}
		for r := range 10 {
			rule := policy.Rule{ID: policy.RuleID(fmt.Sprintf("%08x-%04x-4000-8000-%012x", a, r, 8)), Action: policy.Allow,
				Providers: []policy.Actor{{Label: roles[(r+1)%4]}}, Consumers: []policy.Actor{{Label: roles[r%4]}},
				Services: []policy.ServiceRef{{Port: policy.Port{Proto: policy.ProtoTCP, Port: 8000 + r}}}}
			if r == 9 {
				rule.Action, rule.UnscopedConsumers = policy.Deny, true
				rule.Consumers = []policy.Actor{{Label: envs[2]}}
			}
			rs.Rules = append(rs.Rules, rule)
		}
		p.Rulesets = append(p.Rulesets, rs)
	}
	ws := make([]policy.Workload, n)
	for i := range ws {
		ws[i] = benchWorkload(i, appIDs[i%apps], roles[i/apps%4], envs[i/apps/4%3])
	}
	return p, ws
}

func benchWorkload(i int, app, role, env policy.LabelID) policy.Workload {
	return policy.Workload{ID: policy.WorkloadID(fmt.Sprintf("%08x-0000-4000-8000-%012x", i, 1)), Name: fmt.Sprint("w", i), Mode: policy.Full,
		Labels:     []policy.LabelID{app, role, env},
		Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}}}}
}

var benchSizes = []int{1_000, 10_000, 100_000}

func BenchmarkCompile(b *testing.B) {
	for _, n := range benchSizes {
		p, ws := benchTenant(n)
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var e *Engine
			for b.Loop() {
				e = New(p, ws)
			}
			// Document size against the naive form (one rule per peer
			// address), over a sample of 100 workloads.
			var rules, naive int
			for i := 0; i < n; i += n / 100 {
				d := e.Document(ws[i].ID, 1)
				rules += len(d.Rules)
				size := map[string]int{}
				for _, s := range d.Sets {
					size[s.ID] = len(s.Prefixes)
				}
				for _, r := range d.Rules {
					naive += size[r.Set]
				}
			}
			b.ReportMetric(float64(rules)/100, "rules/doc")
			b.ReportMetric(float64(naive)/100, "naive-rules/doc")
			b.ReportMetric(float64(len(e.selectors)), "sets")
		})
	}
}

func BenchmarkBirth(b *testing.B) {
	for _, n := range benchSizes {
		p, ws := benchTenant(n)
		e := New(p, ws)
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size deltaSize
			i := n
			for b.Loop() {
				w := benchWorkload(i, p.Labels[7+i%1000].ID, p.Labels[i%4].ID, p.Labels[4].ID)
				size.add(e.UpsertWorkload(w))
				i++
			}
			size.report(b)
		})
	}
}

// BenchmarkRelabel moves one workload to another app and role: it leaves
// one ruleset's sets and joins another's.
func BenchmarkRelabel(b *testing.B) {
	for _, n := range benchSizes {
		p, ws := benchTenant(n)
		e := New(p, ws)
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size deltaSize
			i := 0
			for b.Loop() {
				w := ws[i%n]
				w.Labels = []policy.LabelID{p.Labels[7+(i*7+3)%1000].ID, p.Labels[(i+1)%4].ID, p.Labels[4].ID}
				size.add(e.UpsertWorkload(w))
				i++
			}
			size.report(b)
		})
	}
}

// BenchmarkEditRuleset activates a version in which one ruleset of the
// 1,000 changed (a port of one rule), alternating between two versions.
func BenchmarkEditRuleset(b *testing.B) {
	for _, n := range benchSizes {
		p, ws := benchTenant(n)
		e := New(p, ws)
		q := *p
		q.Rulesets = slices.Clone(p.Rulesets)
		edited := q.Rulesets[500]
		edited.Rules = slices.Clone(edited.Rules)
		edited.Rules[0].Services = []policy.ServiceRef{{Port: policy.Port{Proto: policy.ProtoTCP, Port: 9999}}}
		q.Rulesets[500] = edited
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size deltaSize
			i := 0
			for b.Loop() {
				if i%2 == 0 {
					size.add(e.SetPolicy(&q))
				} else {
					size.add(e.SetPolicy(p))
				}
				i++
			}
			size.report(b)
		})
	}
}

// deltaSize adds up the deltas of a benchmark's ops, to report their mean
// size: sets changed, prefixes added or removed, documents changed.
type deltaSize struct{ ops, sets, prefixes, docs int }

func (s *deltaSize) add(d Delta) {
	s.ops++
	s.sets += len(d.Sets)
	s.docs += len(d.Workloads)
	for _, sd := range d.Sets {
		s.prefixes += len(sd.Added) + len(sd.Removed)
	}
}

func (s *deltaSize) report(b *testing.B) {
	if s.ops == 0 {
		return
	}
	b.ReportMetric(float64(s.sets)/float64(s.ops), "sets/op")
	b.ReportMetric(float64(s.prefixes)/float64(s.ops), "prefixes/op")
	b.ReportMetric(float64(s.docs)/float64(s.ops), "docs/op")
}

// BenchmarkTenantWideChange activates a version in which a service the
// rules do not use was added: any change beyond rulesets (a label group,
// service or IP list edited, a setting) recompiles the tenant, so this is
// the cost of the slow path, alternating between two versions.
func BenchmarkTenantWideChange(b *testing.B) {
	for _, n := range benchSizes {
		p, ws := benchTenant(n)
		e := New(p, ws)
		q := *p
		q.Services = append(slices.Clone(p.Services), policy.Service{ID: "00000000-0000-4000-8000-00000000dead", Name: "unused",
			Ports: []policy.Port{{Proto: policy.ProtoTCP, Port: 1}}})
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i%2 == 0 {
					e.SetPolicy(&q)
				} else {
					e.SetPolicy(p)
				}
				i++
			}
		})
	}
}
