package worker_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/docstore"
	"github.com/remora-sec/remora/compute/engine"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/compute/worker"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/tenants"
	"github.com/remora-sec/remora/tenants/tenanttest"
	"github.com/remora-sec/remora/ven/wire"
)

type env struct {
	ctx    context.Context
	ts     *tenants.Store
	ps     *policystore.Store
	ds     *docstore.Store
	tenant ids.TenantID
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ts := tenanttest.NewStore(t)
	e := &env{ctx: context.Background(), ts: ts, ps: policystore.New(ts), ds: docstore.New(ts)}
	return e.another(t)
}

// another is e for a new tenant of the same database.
func (e *env) another(t testing.TB) *env {
	t.Helper()
	c := *e
	c.tenant, _ = tenanttest.Signup(t, e.ts)
	return &c
}

// world creates n workloads (web and db alternating) and provisions a
// ruleset letting web reach db on tcp/5432.
func (e *env) world(t testing.TB, n int) []policy.WorkloadID {
	t.Helper()
	label := func(k, v string) policy.LabelID {
		l, err := e.ps.CreateLabel(e.ctx, e.tenant, k, v)
		if err != nil {
			t.Fatal(err)
		}
		return l.ID
	}
	web, db := label("role", "web"), label("role", "db")
	ws := make([]policy.Workload, n)
	for i := range ws {
		role := web
		if i%2 == 1 {
			role = db
		}
		ws[i] = policy.Workload{Name: fmt.Sprint("w", i), Mode: policy.Full, Labels: []policy.LabelID{role},
			Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)}}}}
	}
	var out []policy.WorkloadID
	for i := 0; i < n; i += policystore.MaxBulk {
		recs, err := e.ps.CreateWorkloads(e.ctx, e.tenant, ws[i:min(i+policystore.MaxBulk, n)], "items")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			out = append(out, r.ID)
		}
	}
	_, err := e.ps.Rulesets().Create(e.ctx, e.tenant, policy.Ruleset{Name: "db", Rules: []policy.Rule{{Action: policy.Allow,
		Providers: []policy.Actor{{Label: db}}, Consumers: []policy.Actor{{Label: web}},
		Services: []policy.ServiceRef{{Port: policy.Port{Proto: policy.ProtoTCP, Port: 5432}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ps.Provision(e.ctx, e.tenant, policystore.Author{}, "db access", nil); err != nil {
		t.Fatal(err)
	}
	return out
}

// converged checks that the stored documents are exactly a fresh compile
// of the tenant's current state, and the computed generation its desired.
func (e *env) converged(t testing.TB) {
	t.Helper()
	snap, err := e.ps.Snapshot(e.ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.ps.Generations(e.ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	if g.Computed != g.Desired {
		t.Fatalf("computed generation %d, desired %d", g.Computed, g.Desired)
	}
	fresh := engine.New(snap.Policy, snap.Workloads)
	for _, w := range snap.Workloads {
		got, err := e.ds.Document(e.ctx, e.tenant, string(w.ID))
		if err != nil {
			t.Fatalf("workload %s: %v", w.Name, err)
		}
		if want := fresh.Document(w.ID, 0); got.Hash != want.Hash {
			t.Fatalf("workload %s: stored document differs from a fresh compile:\n got %+v\nwant %+v", w.Name, got, want)
		}
		if gen, err := e.ds.Generation(e.ctx, e.tenant, string(w.ID)); err != nil || uint64(gen) != got.Generation {
			t.Fatalf("workload %s: Generation says %d (%v), the document %d", w.Name, gen, err, got.Generation)
		}
		if got.Generation > uint64(g.Computed) {
			t.Fatalf("workload %s: document generation %d is past the computed one, %d", w.Name, got.Generation, g.Computed)
		}
	}
	// Nothing left over: a row per workload and per set, no more.
	var docs, sets int
	err = e.ts.InTenantRead(e.ctx, e.tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(e.ctx, `SELECT (SELECT count(*) FROM workload_documents), (SELECT count(*) FROM compute_sets)`).Scan(&docs, &sets)
	})
	if err != nil {
		t.Fatal(err)
	}
	if docs != len(snap.Workloads) || sets != len(fresh.SetIDs()) {
		t.Fatalf("stored %d documents and %d sets, want %d and %d", docs, sets, len(snap.Workloads), len(fresh.SetIDs()))
	}
}

// TestRecomputeConverges: a tenant of 1,000 workloads converges after a
// provision, a second run writes nothing, and a workload change rewrites
// just the documents it touches.
func TestRecomputeConverges(t *testing.T) {
	e := newEnv(t)
	ids := e.world(t, 1000)
	res, err := worker.Recompute(e.ctx, e.ps, e.ds, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stale || len(res.Docs) != 1000 || len(res.Sets) != 1 {
		t.Fatalf("first run: %d documents and %d sets written, want 1,000 and 1 (the web set)", len(res.Docs), len(res.Sets))
	}
	e.converged(t)
	if res, err = worker.Recompute(e.ctx, e.ps, e.ds, e.tenant); err != nil || !res.Stale {
		t.Fatalf("second run at the same generation: %+v, %v; want stale, nothing written", res, err)
	}
	// A web workload leaves: its document goes and the web set (the db
	// workloads' allowed sources) loses a member. The db documents name
	// the set but are not rewritten: sets are stored apart. Their agents
	// are the ones to tell.
	if err := e.ps.DeleteWorkloads(e.ctx, e.tenant, []string{string(ids[0])}, "", ""); err != nil {
		t.Fatal(err)
	}
	if res, err = worker.Recompute(e.ctx, e.ps, e.ds, e.tenant); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Docs, []string{string(ids[0])}) || len(res.Sets) != 1 || len(res.Affected) != 501 {
		t.Fatalf("after a web workload left: documents %v, sets %v, %d affected; want its document deleted, the web set written, and it and the 500 db workloads affected",
			res.Docs, res.Sets, len(res.Affected))
	}
	e.converged(t)
	if _, err := e.ds.Document(e.ctx, e.tenant, string(ids[0])); err == nil {
		t.Error("the deleted workload still has a document")
	}
}

// TestStaleNeverOverwrites: results for an older generation are refused
// once a newer one is saved, and concurrent recomputes under changing
// workloads still end converged.
func TestStaleNeverOverwrites(t *testing.T) {
	e := newEnv(t)
	ids := e.world(t, 20)
	if _, err := worker.Recompute(e.ctx, e.ps, e.ds, e.tenant); err != nil {
		t.Fatal(err)
	}
	g, _ := e.ps.Generations(e.ctx, e.tenant)
	old := []*wire.Document{{Workload: string(ids[0]), Hash: "stale"}}
	saved, err := e.ds.Save(e.ctx, e.tenant, docstore.Batch{Full: true, Generation: g.Computed - 1, Docs: old})
	if err != nil || !saved.Stale {
		t.Fatalf("saving an older generation: %+v, %v; want refused as stale", saved, err)
	}
	e.converged(t)

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				w := policy.Workload{ID: ids[i], Name: fmt.Sprint("moved", i), Mode: policy.Selective,
					Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{fmt.Sprintf("10.9.0.%d", i+1)}}}}
				if _, err := e.ps.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{w}, "", ""); err != nil {
					t.Error(err)
				}
			}
			if _, err := worker.Recompute(e.ctx, e.ps, e.ds, e.tenant); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := worker.Recompute(e.ctx, e.ps, e.ds, e.tenant); err != nil {
		t.Fatal(err)
	}
	e.converged(t)
}
