// Package worker runs the compiler for tenants. A Computer brings one
// tenant's stored results up to date: from the tenant's graph held in
// memory and the change feed when it can (cost grows with the change),
// from a snapshot when it cannot. Worker drives it from the Redis stream;
// Reconciler re-enqueues whatever Redis lost. Any number of computations
// may run for one tenant at once: the compare-and-set in docstore keeps
// the newest result.
package worker

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/remora-sec/remora/compute/docstore"
	"github.com/remora-sec/remora/compute/engine"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/ids"
)

// Computer brings tenants' stored results up to date.
type Computer struct {
	Policy *policystore.Store
	Docs   *docstore.Store
	Cache  *Cache // nil: rebuild from a snapshot every time
}

// Result is what one computation did.
type Result struct {
	Generation int64
	Stale      bool // the stored results were already this new: nothing written
	Full       bool // rebuilt from a snapshot, or saved in full

	Docs     []string            // workloads whose outlines were written or deleted
	Sets     []string            // sets written or deleted
	Affected []policy.WorkloadID // workloads whose full documents changed (outline or a set they name)
}

// Recompute compiles tenant from scratch and saves every result: the
// Computer without a cache.
func Recompute(ctx context.Context, ps *policystore.Store, ds *docstore.Store, tenant ids.TenantID) (Result, error) {
	return (&Computer{Policy: ps, Docs: ds}).Compute(ctx, tenant)
}

// Compute brings tenant's stored results to its desired generation.
func (c *Computer) Compute(ctx context.Context, tenant ids.TenantID) (Result, error) {
	res, err := c.compute(ctx, tenant)
	if err != nil {
		return res, fmt.Errorf("compute %s: %w", tenant, err)
	}
	return res, nil
}

func (c *Computer) compute(ctx context.Context, tenant ids.TenantID) (Result, error) {
	g := c.Cache.take(tenant)
	from := int64(-1)
	if g != nil {
		from = g.gen
	}
	u, err := c.Policy.Since(ctx, tenant, from)
	if err != nil {
		return Result{}, err // the graph is dropped: the next job rebuilds it
	}
	var b docstore.Batch
	if u.Snapshot != nil {
		g = &graph{eng: engine.New(u.Snapshot.Policy, u.Snapshot.Workloads)}
		b = fullBatch(g.eng)
	} else {
		b = apply(g.eng, u)
		b.From = from
	}
	g.gen, b.Generation = u.Generation, u.Generation
	saved, err := c.Docs.Save(ctx, tenant, b)
	if err == nil && saved.Behind {
		// The stored results are not those this graph was at (another
		// worker saved meanwhile, or a save of ours failed): the graph
		// is right, so save all of it.
		b = fullBatch(g.eng)
		b.Generation = u.Generation
		saved, err = c.Docs.Save(ctx, tenant, b)
	}
	if err != nil {
		return Result{}, err
	}
	c.Cache.put(tenant, g) // right for u.Generation whatever was saved
	res := Result{Generation: u.Generation, Stale: saved.Stale, Full: b.Full, Docs: saved.Docs, Sets: saved.Sets}
	res.Affected = affected(g.eng, saved)
	return res, nil
}

// apply brings eng up to date with u and returns what to save: the
// outlines the changes touched, and the sets' member changes, netted over
// the changes (a member added then removed is no change). A set that
// became named is saved whole, one no longer named is deleted.
func apply(eng *engine.Engine, u policystore.Update) docstore.Batch {
	ws, renamed := map[policy.WorkloadID]bool{}, map[string]bool{}
	net := map[string]map[netip.Prefix]int{}
	note := func(d engine.Delta) {
		for _, w := range d.Workloads {
			ws[w] = true
		}
		for _, s := range slices.Concat(d.Named, d.Unnamed) {
			renamed[s] = true
		}
		for _, sd := range d.Sets {
			m := net[sd.ID]
			if m == nil {
				m = map[netip.Prefix]int{}
				net[sd.ID] = m
			}
			for _, p := range sd.Added {
				m[p]++
			}
			for _, p := range sd.Removed {
				m[p]--
			}
		}
	}
	if u.Policy != nil {
		note(eng.SetPolicy(u.Policy))
	}
	for _, w := range u.Workloads {
		note(eng.UpsertWorkload(w))
	}
	for _, id := range u.Gone {
		note(eng.RemoveWorkload(id))
	}
	b := docstore.Batch{Sets: map[string][]netip.Prefix{}}
	for _, id := range slices.Sorted(maps.Keys(ws)) {
		if d := eng.Outline(id); d != nil {
			b.Docs = append(b.Docs, d)
		} else {
			b.Gone = append(b.Gone, string(id))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(renamed)) {
		if ps, named := eng.Set(id); named {
			b.Sets[id] = ps
		} else {
			b.GoneSets = append(b.GoneSets, id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(net)) {
		if renamed[id] || !eng.Named(id) {
			continue // saved whole or deleted above; or not stored at all
		}
		d := docstore.SetDelta{ID: id}
		for p, n := range net[id] {
			switch {
			case n > 0:
				d.Added = append(d.Added, p)
			case n < 0:
				d.Removed = append(d.Removed, p)
			}
		}
		if len(d.Added)+len(d.Removed) > 0 {
			b.Deltas = append(b.Deltas, d)
		}
	}
	return b
}

// fullBatch is every outline and set of eng.
func fullBatch(eng *engine.Engine) docstore.Batch {
	b := docstore.Batch{Full: true, Sets: map[string][]netip.Prefix{}}
	for _, id := range eng.WorkloadIDs() {
		b.Docs = append(b.Docs, eng.Outline(id))
	}
	for _, id := range eng.SetIDs() {
		b.Sets[id], _ = eng.Set(id)
	}
	return b
}

// affected lists the workloads whose full documents saved changed: those
// whose outlines were written or deleted, and those naming a set that was.
func affected(eng *engine.Engine, saved docstore.Saved) []policy.WorkloadID {
	seen := map[policy.WorkloadID]bool{}
	for _, w := range saved.Docs {
		seen[policy.WorkloadID(w)] = true
	}
	for _, s := range saved.Sets {
		for _, w := range eng.Users(s) {
			seen[w] = true
		}
	}
	out := make([]policy.WorkloadID, 0, len(seen))
	for w := range seen {
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}
