package worker_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/compute/worker"
	"github.com/remora-sec/remora/infra/usererr"
)

// TestCachedGraphFollowsChanges: a Computer holding the tenant's graph
// applies each change from the feed (no rebuild, no full save) and the
// stored results equal a fresh compile after every one: workloads born,
// moved, relabelled, switched mode and deleted; rulesets added, edited and
// provisioned; a rollback.
func TestCachedGraphFollowsChanges(t *testing.T) {
	e := newEnv(t)
	ws := e.world(t, 60)
	c := &worker.Computer{Policy: e.ps, Docs: e.ds, Cache: worker.NewCache(4)}
	compute := func(what string, wantFull bool) worker.Result {
		t.Helper()
		res, err := c.Compute(e.ctx, e.tenant)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if res.Full != wantFull {
			t.Fatalf("%s: full %v, want %v", what, res.Full, wantFull)
		}
		e.converged(t)
		return res
	}
	compute("first computation", true) // nothing cached yet

	labels := map[string]policy.LabelID{}
	for _, v := range []string{"web", "db", "cache"} {
		l, err := e.ps.CreateLabel(e.ctx, e.tenant, "app", v)
		if err != nil {
			t.Fatal(err)
		}
		labels[v] = l.ID
	}
	var rs []string
	r := rand.New(rand.NewPCG(1, 2))
	modes := []policy.Mode{policy.Idle, policy.VisibilityOnly, policy.Selective, policy.Full}
	for step := range 40 {
		var what string
		switch op := r.IntN(6); op {
		case 0, 1: // move, relabel or switch the mode of one workload
			id := ws[r.IntN(len(ws))]
			w := policy.Workload{ID: id, Name: fmt.Sprint("moved", step), Mode: modes[r.IntN(len(modes))],
				Labels:     []policy.LabelID{labels[[]string{"web", "db", "cache"}[r.IntN(3)]]},
				Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{fmt.Sprintf("10.7.%d.%d", step, r.IntN(200)+1), "fd00::" + fmt.Sprint(step+1)}}}}
			if _, err := e.ps.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{w}, "", ""); err != nil {
				t.Fatal(err)
			}
			what = "update workload"
		case 2: // born
			w := policy.Workload{Name: fmt.Sprint("born", step), Mode: policy.Full, Labels: []policy.LabelID{labels["db"]},
				Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{fmt.Sprintf("10.6.0.%d", step+1)}}}}
			recs, err := e.ps.CreateWorkloads(e.ctx, e.tenant, []policy.Workload{w}, "")
			if err != nil {
				t.Fatal(err)
			}
			ws = append(ws, recs[0].ID)
			what = "create workload"
		case 3: // gone
			i := r.IntN(len(ws))
			if err := e.ps.DeleteWorkloads(e.ctx, e.tenant, []string{string(ws[i])}, "", ""); err != nil {
				t.Fatal(err)
			}
			ws = append(ws[:i], ws[i+1:]...)
			what = "delete workload"
		case 4: // a ruleset added or edited, provisioned
			from, to := labels[[]string{"web", "db", "cache"}[r.IntN(3)]], labels[[]string{"web", "db", "cache"}[r.IntN(3)]]
			v := policy.Ruleset{Name: fmt.Sprint("rs", step), Rules: []policy.Rule{{Action: []policy.Action{policy.Allow, policy.Deny, policy.OverrideDeny}[r.IntN(3)],
				Providers: []policy.Actor{{Label: to}}, Consumers: []policy.Actor{{Label: from}},
				Services: []policy.ServiceRef{{Port: policy.Port{Proto: policy.ProtoTCP, Port: 1000 + step}}}}}}
			what = "edit ruleset"
			edited := false
			if len(rs) > 0 && r.IntN(2) == 0 {
				// A rollback may have taken it out of the draft: then add it anew.
				_, err := e.ps.Rulesets().Update(e.ctx, e.tenant, rs[r.IntN(len(rs))], v, "")
				if err != nil && !usererr.Is(err, usererr.NotFound) {
					t.Fatal(err)
				}
				edited = err == nil
			}
			if !edited {
				o, err := e.ps.Rulesets().Create(e.ctx, e.tenant, v)
				if err != nil {
					t.Fatal(err)
				}
				rs = append(rs, string(o.Value.ID))
				what = "add ruleset"
			}
			if _, err := e.ps.Provision(e.ctx, e.tenant, policystore.Author{}, what, nil); err != nil {
				t.Fatal(err)
			}
		case 5: // roll back to an earlier version (unless it equals the active one)
			g, err := e.ps.Generations(e.ctx, e.tenant)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.ps.Rollback(e.ctx, e.tenant, policystore.Author{}, 1+r.IntN(g.Active), "back"); err != nil && !usererr.Is(err, usererr.Conflict) {
				t.Fatal(err)
			}
			what = "rollback"
		}
		compute(fmt.Sprintf("step %d (%s)", step, what), false)
	}
}

// TestCachedGraphRebuilds: a graph older than the change feed keeps is
// rebuilt from a snapshot; a graph whose stored results moved on without
// it (another worker saved meanwhile) is saved in full. Both converge.
func TestCachedGraphRebuilds(t *testing.T) {
	e := newEnv(t)
	ws := e.world(t, 20)
	a := &worker.Computer{Policy: e.ps, Docs: e.ds, Cache: worker.NewCache(4)}
	b := &worker.Computer{Policy: e.ps, Docs: e.ds, Cache: worker.NewCache(4)}
	move := func(i int) {
		t.Helper()
		w := policy.Workload{ID: ws[i], Name: fmt.Sprint("w", i), Mode: policy.Full,
			Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{fmt.Sprintf("10.5.0.%d", i+1)}}}}
		if _, err := e.ps.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{w}, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	check := func(c *worker.Computer, what string, wantFull bool) {
		t.Helper()
		res, err := c.Compute(e.ctx, e.tenant)
		if err != nil {
			t.Fatal(err)
		}
		if res.Full != wantFull {
			t.Fatalf("%s: full %v, want %v", what, res.Full, wantFull)
		}
		e.converged(t)
	}
	check(a, "a's first", true)
	move(0)
	check(b, "b's first", true) // b holds nothing yet
	move(1)
	check(a, "a after b saved", true) // a's graph is behind the stored results: saved in full
	move(2)
	check(a, "a again", false)

	// The feed loses the rows a needs: a rebuilds.
	move(3)
	err := e.ts.InTenant(e.ctx, e.tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(e.ctx, `DELETE FROM compute_changes`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	move(4)
	check(a, "a after the feed was pruned", true)
}
