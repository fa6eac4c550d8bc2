package engine

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/remora-sec/remora/compute/policy"
)

// onlyRulesetsDiffer reports whether q differs from p in its rulesets
// alone: then activating q recompiles only the rulesets that changed.
func onlyRulesetsDiffer(p, q *policy.Policy) bool {
	return reflect.DeepEqual(p.Labels, q.Labels) && reflect.DeepEqual(p.LabelGroups, q.LabelGroups) &&
		reflect.DeepEqual(p.Services, q.Services) && reflect.DeepEqual(p.IPLists, q.IPLists) && p.Settings == q.Settings
}

// updateRulesets activates p, which differs from the current policy in
// its rulesets only. The bindings of the rulesets that changed are taken
// out and compiled anew; a selector no binding uses any more is dropped
// (its set empties), a new one is filled from the workloads its filing
// labels name; and only the workloads on a side of a changed binding have
// their rules recomputed. Cost grows with the rulesets changed and the
// workloads they select, not with the tenant.
func (e *Engine) updateRulesets(p *policy.Policy) Delta {
	old := make(map[policy.RulesetID]*policy.Ruleset, len(e.pol.Rulesets))
	for i := range e.pol.Rulesets {
		old[e.pol.Rulesets[i].ID] = &e.pol.Rulesets[i]
	}
	e.setPolicy(p)
	var changed []*policy.Ruleset // the new versions (nil entries: removed)
	seen := map[policy.RulesetID]bool{}
	for i := range p.Rulesets {
		rs := &p.Rulesets[i]
		seen[rs.ID] = true
		if o := old[rs.ID]; o == nil || !reflect.DeepEqual(o, rs) {
			changed = append(changed, rs)
		}
	}
	// touched maps each selector whose bindings changed to whether its
	// members' rules change: always on the provider side (inbound rules);
	// on the consumer side only with outbound enforcement.
	touched := map[*selector]bool{}
	outbound := e.pol.Settings.OutboundEnforcement
	touch := func(b *binding) {
		touched[b.peerOut] = true
		touched[b.peerIn] = touched[b.peerIn] || outbound
	}
	detach := func(id policy.RulesetID) {
		for _, b := range e.bindings[id] {
			b.peerOut.asProvider = slices.DeleteFunc(b.peerOut.asProvider, func(x *binding) bool { return x == b })
			b.peerIn.asConsumer = slices.DeleteFunc(b.peerIn.asConsumer, func(x *binding) bool { return x == b })
			touch(b)
		}
		delete(e.bindings, id)
	}
	for id := range old {
		if !seen[id] {
			detach(id)
		}
	}
	for _, rs := range changed {
		detach(rs.ID)
	}
	added := map[*selector][]netip.Addr{}
	for _, rs := range changed {
		for _, s := range e.compileRuleset(rs) {
			e.index.file(s)
			added[s] = e.populate(s)
		}
		for _, b := range e.bindings[rs.ID] {
			touch(b)
		}
	}

	affected := map[policy.WorkloadID]bool{}
	removed := map[*selector][]netip.Addr{}
	for s, rulesChange := range touched {
		if rulesChange {
			for id := range s.matched {
				affected[id] = true
			}
		}
		if len(s.static) > 0 && outbound {
			for id, n := range e.nodes {
				if inLists(n, s.static) {
					affected[id] = true
				}
			}
		}
		if len(s.asProvider) == 0 && len(s.asConsumer) == 0 {
			removed[s] = e.drop(s)
		}
	}

	var d Delta
	for _, s := range sortedSelectors(removed, added) {
		sd := SetDelta{ID: s.id}
		for _, a := range added[s] {
			sd.Added = append(sd.Added, netip.PrefixFrom(a, a.BitLen()))
		}
		for _, a := range removed[s] {
			sd.Removed = append(sd.Removed, netip.PrefixFrom(a, a.BitLen()))
		}
		if _, isNew := added[s]; isNew {
			sd.Added = append(sd.Added, s.static...)
		} else {
			sd.Removed = append(sd.Removed, s.static...)
		}
		if len(sd.Added)+len(sd.Removed) > 0 {
			d.Sets = append(d.Sets, sd)
		}
	}
	for _, id := range sortedKeys(affected) {
		n := e.nodes[id]
		rules := e.rulesOf(n)
		if !slices.Equal(rules, e.rules[id]) {
			d.Workloads = append(d.Workloads, id)
		}
		e.setRules(id, rules)
	}
	return d
}

// populate adds to a new selector the workloads it matches, found through
// its filing, and returns its member addresses.
func (e *Engine) populate(s *selector) []netip.Addr {
	f := fileOf(s.m)
	var cands []*node
	switch {
	case f.everyone:
		for _, n := range e.nodes {
			cands = append(cands, n)
		}
	default:
		seen := map[policy.WorkloadID]bool{}
		for l := range f.labels {
			for id := range e.byLabel[l] {
				if !seen[id] {
					seen[id] = true
					cands = append(cands, e.nodes[id])
				}
			}
		}
		for id := range f.workloads {
			if n := e.nodes[id]; n != nil && !seen[id] {
				seen[id] = true
				cands = append(cands, n)
			}
		}
	}
	var members []netip.Addr
	for _, n := range cands {
		if s.m.matches(n) {
			members = append(members, s.add(n)...)
			n.matched = insertSorted(n.matched, s)
		}
	}
	return members
}

// drop removes a selector no binding uses: from the index, from its
// members' lists, and from the engine. It returns the addresses it held.
func (e *Engine) drop(s *selector) []netip.Addr {
	e.index.unfile(s)
	var gone []netip.Addr
	for id := range s.matched {
		n := e.nodes[id]
		n.matched = slices.DeleteFunc(n.matched, func(x *selector) bool { return x == s })
		gone = append(gone, s.remove(n)...)
	}
	delete(e.selectors, s.id)
	return gone
}

func insertSorted(ss []*selector, s *selector) []*selector {
	i, found := slices.BinarySearchFunc(ss, s, func(a, b *selector) int { return strings.Compare(a.id, b.id) })
	if found {
		return ss
	}
	return slices.Insert(ss, i, s)
}
