package engine

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/ven/wire"
)

// SetDelta is a change of one set's members. A set that appears is all
// Added; one that is no longer used is all Removed.
type SetDelta struct {
	ID      string
	Added   []netip.Prefix
	Removed []netip.Prefix
}

// Delta is what one change did: the sets whose members changed, and the
// workloads whose documents changed otherwise (rules, mode, or the
// workload itself born or gone). Callers rewrite those documents and send
// each set delta to the workloads that use the set.
//
// Named and Unnamed say which sets became named by some document, and
// which by none any more: a store of sets holds just the named ones, and
// a set can become named without a member changing (the first workload
// whose rules use it).
type Delta struct {
	Sets      []SetDelta
	Workloads []policy.WorkloadID
	Named     []string
	Unnamed   []string
}

// Empty reports whether the change changed nothing.
func (d Delta) Empty() bool {
	return len(d.Sets) == 0 && len(d.Workloads) == 0 && len(d.Named) == 0 && len(d.Unnamed) == 0
}

// UpsertWorkload adds w or replaces the workload of the same id. It costs
// one match per selector and per binding, whatever the tenant's size.
func (e *Engine) UpsertWorkload(w policy.Workload) Delta {
	e.workloads[w.ID] = w
	old := e.nodes[w.ID]
	n := newNode(&w, e.labels)
	n.matched = e.index.matching(n)
	removed, added := map[*selector][]netip.Addr{}, map[*selector][]netip.Addr{}
	if old != nil {
		for _, s := range old.matched {
			removed[s] = s.remove(old)
		}
	}
	for _, s := range n.matched {
		added[s] = s.add(n)
	}
	var d Delta
	for _, s := range sortedSelectors(removed, added) {
		if sd, ok := netDelta(s.id, added[s], removed[s]); ok {
			d.Sets = append(d.Sets, sd)
		}
	}
	if old != nil {
		e.indexLabels(old, false)
	}
	e.indexLabels(n, true)
	e.nodes[w.ID] = n
	rules := e.rulesOf(n)
	if old == nil || old.mode != n.mode || !slices.Equal(rules, e.rules[w.ID]) {
		d.Workloads = append(d.Workloads, w.ID)
	}
	e.setRules(w.ID, rules)
	e.naming(&d)
	return d
}

// RemoveWorkload forgets workload id.
func (e *Engine) RemoveWorkload(id policy.WorkloadID) Delta {
	old := e.nodes[id]
	if old == nil {
		return Delta{}
	}
	var d Delta
	for _, s := range old.matched {
		if sd, ok := netDelta(s.id, nil, s.remove(old)); ok {
			d.Sets = append(d.Sets, sd)
		}
	}
	e.indexLabels(old, false)
	delete(e.nodes, id)
	e.setRules(id, nil)
	delete(e.workloads, id)
	d.Workloads = append(d.Workloads, id)
	e.naming(&d)
	return d
}

// SetPolicy activates p (a new version, or new settings) and reports what
// differs from before. When only rulesets changed it recompiles just
// those; any other change (labels, groups, services, IP lists, settings)
// recompiles everything.
func (e *Engine) SetPolicy(p *policy.Policy) Delta {
	if onlyRulesetsDiffer(e.pol, p) {
		d := e.updateRulesets(p)
		e.naming(&d)
		return d
	}
	oldNamed := e.SetIDs()
	oldSets := make(map[string][]netip.Prefix, len(e.selectors))
	for id, s := range e.selectors {
		oldSets[id] = s.prefixes()
	}
	oldRules, oldNodes, oldOutbound := e.rules, e.nodes, e.pol.Settings.OutboundEnforcement
	e.setPolicy(p)
	e.nodes = make(map[policy.WorkloadID]*node, len(e.workloads))
	for id, w := range e.workloads {
		e.nodes[id] = newNode(&w, e.labels)
	}
	e.compile()

	var d Delta
	ids := make(map[string]bool, len(oldSets)+len(e.selectors))
	for id := range oldSets {
		ids[id] = true
	}
	for id := range e.selectors {
		ids[id] = true
	}
	for _, id := range sortedKeys(ids) {
		var now []netip.Prefix
		if s := e.selectors[id]; s != nil {
			now = s.prefixes()
		}
		if sd, ok := prefixDelta(id, oldSets[id], now); ok {
			d.Sets = append(d.Sets, sd)
		}
	}
	clear(e.flips) // compile named every set anew: compare instead
	newNamed := e.SetIDs()
	for _, s := range newNamed {
		if _, found := slices.BinarySearch(oldNamed, s); !found {
			d.Named = append(d.Named, s)
		}
	}
	for _, s := range oldNamed {
		if _, found := slices.BinarySearch(newNamed, s); !found {
			d.Unnamed = append(d.Unnamed, s)
		}
	}
	for _, id := range sortedKeys(e.nodes) {
		o := oldNodes[id]
		if o == nil || o.mode != e.nodes[id].mode || oldOutbound != p.Settings.OutboundEnforcement || !slices.Equal(oldRules[id], e.rules[id]) {
			d.Workloads = append(d.Workloads, id)
		}
	}
	return d
}

// sortedSelectors lists the keys of both maps once, in id order, so
// deltas come in a deterministic order.
func sortedSelectors(a, b map[*selector][]netip.Addr) []*selector {
	var out []*selector
	for s := range a {
		out = append(out, s)
	}
	for s := range b {
		if _, dup := a[s]; !dup {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(x, y *selector) int { return strings.Compare(x.id, y.id) })
	return out
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// netDelta turns the addresses a change removed and added into a set
// delta, cancelling an address that left and came back.
func netDelta(id string, added, removed []netip.Addr) (SetDelta, bool) {
	sd := SetDelta{ID: id}
	for _, a := range added {
		if !slices.Contains(removed, a) {
			sd.Added = append(sd.Added, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	for _, a := range removed {
		if !slices.Contains(added, a) {
			sd.Removed = append(sd.Removed, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return sd, len(sd.Added)+len(sd.Removed) > 0
}

// prefixDelta compares a set's members before and after.
func prefixDelta(id string, before, after []netip.Prefix) (SetDelta, bool) {
	sd := SetDelta{ID: id}
	for _, p := range after {
		if !slices.Contains(before, p) {
			sd.Added = append(sd.Added, p)
		}
	}
	for _, p := range before {
		if !slices.Contains(after, p) {
			sd.Removed = append(sd.Removed, p)
		}
	}
	return sd, len(sd.Added)+len(sd.Removed) > 0
}

// sets returns every set's members, for tests and for a full resync.
func (e *Engine) sets() map[string][]netip.Prefix {
	out := make(map[string][]netip.Prefix, len(e.selectors))
	for id, s := range e.selectors {
		ps := s.prefixes()
		slices.SortFunc(ps, wire.ComparePrefix)
		out[id] = ps
	}
	return out
}
