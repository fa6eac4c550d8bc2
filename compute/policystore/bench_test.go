package policystore_test

import (
	"fmt"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
)

// benchTenant is a mid-sized tenant: 50 apps × 3 envs × 2 roles of
// workloads (benchWorkloads in all), one ruleset per app scoped to the app
// with 10 rules, provisioned as version 1.
type benchTenant struct {
	*env
	workloads []policy.WorkloadID
	rulesets  []policy.RulesetID
}

const (
	benchApps      = 50
	benchWorkloads = 1200 // benchApps × 3 envs × 2 roles × 4 replicas
)

func newBenchTenant(b *testing.B) *benchTenant {
	e := newEnv(b)
	bt := &benchTenant{env: e}
	web, db := e.label("role", "web"), e.label("role", "db")
	envs := []policy.LabelID{e.label("env", "prod"), e.label("env", "staging"), e.label("env", "dev")}
	var ws []policy.Workload
	apps := make([]policy.LabelID, benchApps)
	for a := range apps {
		apps[a] = e.label("app", fmt.Sprintf("app-%02d", a))
		for ei, env := range envs {
			for ri, role := range []policy.LabelID{web, db} {
				for n := range 4 {
					ws = append(ws, policy.Workload{Name: fmt.Sprintf("w-%d-%d-%d-%d", a, ei, ri, n), Mode: policy.Full,
						Labels:     []policy.LabelID{apps[a], env, role},
						Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{fmt.Sprintf("10.%d.%d.%d", a, ei*2+ri, n+1)}}}})
				}
			}
		}
	}
	for i := 0; i < len(ws); i += policystore.MaxBulk {
		out, err := e.store.CreateWorkloads(e.ctx, e.tenant, ws[i:min(i+policystore.MaxBulk, len(ws))], "items")
		if err != nil {
			b.Fatal(err)
		}
		for _, w := range out {
			bt.workloads = append(bt.workloads, w.ID)
		}
	}
	for a, app := range apps {
		rs := policy.Ruleset{Name: fmt.Sprintf("app-%02d", a), Scopes: []policy.Scope{{{Label: app}}}}
		for p := range 10 {
			rs.Rules = append(rs.Rules, policy.Rule{Action: policy.Allow, Providers: actors(byLabel(db)), Consumers: actors(byLabel(web)),
				Services: []policy.ServiceRef{tcp(5000 + p)}})
		}
		bt.rulesets = append(bt.rulesets, e.ruleset(rs))
	}
	e.provision("bench")
	return bt
}

// flow is a web → db flow inside one app and env, allowed by a rule.
func (bt *benchTenant) flow(i int) policystore.FlowQuery {
	// Workload order: app, env, role (web then db), replica.
	app, env := (i/3)%benchApps, i%3
	base := app*24 + env*8
	return policystore.FlowQuery{Source: string(bt.workloads[base+i%4]), Destination: string(bt.workloads[base+4+i%4]), Proto: "tcp", Port: ptr(5003)}
}

func benchCheck(b *testing.B, batch int) {
	bt := newBenchTenant(b)
	flows := make([]policystore.FlowQuery, batch)
	for i := range flows {
		flows[i] = bt.flow(i)
	}
	for b.Loop() {
		ds, _, err := bt.store.Check(bt.ctx, bt.tenant, policystore.Active, flows, "flows")
		if err != nil || ds[0].Verdict != policy.Allowed {
			b.Fatalf("check: %v %+v", err, ds)
		}
	}
}

// BenchmarkCheck is one POST /policy/check without HTTP: it loads the
// whole active policy and runs the naive evaluator.
func BenchmarkCheck(b *testing.B) { benchCheck(b, 1) }

// BenchmarkCheckBatch is a batch of 1,000 flows: the policy is loaded once.
func BenchmarkCheckBatch(b *testing.B) { benchCheck(b, policystore.MaxFlows) }

// BenchmarkEditProvision is one ruleset edit in the draft, then a provision
// of the whole draft (copying every object into the new version).
func BenchmarkEditProvision(b *testing.B) {
	bt := newBenchTenant(b)
	i := 0
	for b.Loop() {
		id := string(bt.rulesets[i%len(bt.rulesets)])
		o, err := bt.store.Rulesets().Get(bt.ctx, bt.tenant, id, policystore.Draft)
		if err != nil {
			b.Fatal(err)
		}
		o.Value.Description = fmt.Sprintf("edit %d", i)
		if _, err := bt.store.Rulesets().Update(bt.ctx, bt.tenant, id, o.Value, ""); err != nil {
			b.Fatal(err)
		}
		if _, err := bt.store.Provision(bt.ctx, bt.tenant, bt.author(), "edit", nil); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkBulkCreate is one bulk create of 1,000 workloads with three
// labels and one address each.
func BenchmarkBulkCreate(b *testing.B) {
	e := newEnv(b)
	labels := []policy.LabelID{e.label("role", "web"), e.label("app", "shop"), e.label("env", "prod")}
	n := 0
	for b.Loop() {
		ws := make([]policy.Workload, policystore.MaxBulk)
		for i := range ws {
			ws[i] = policy.Workload{Name: fmt.Sprintf("w-%d", n), Labels: labels,
				Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)}}}}
			n++
		}
		if _, err := e.store.CreateWorkloads(e.ctx, e.tenant, ws, "items"); err != nil {
			b.Fatal(err)
		}
	}
}
