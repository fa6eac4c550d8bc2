package engine

import (
	"net/netip"
	"slices"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/ven/wire"
)

// setRules records workload id's rule list (nil: the workload is gone) and
// keeps the interest map current: which workloads' documents name each
// set. A set's member delta needs to reach those workloads only, not every
// agent of the tenant.
func (e *Engine) setRules(id policy.WorkloadID, rules []wire.Rule) {
	for _, s := range setsOf(e.rules[id]) {
		delete(e.users[s], id)
		if len(e.users[s]) == 0 {
			delete(e.users, s)
			e.flip(s)
		}
	}
	if rules == nil {
		delete(e.rules, id)
		return
	}
	e.rules[id] = rules
	for _, s := range setsOf(rules) {
		if e.users[s] == nil {
			e.users[s] = make(map[policy.WorkloadID]bool)
			e.flip(s)
		}
		e.users[s][id] = true
	}
}

func setsOf(rules []wire.Rule) []string {
	var out []string
	for _, r := range rules {
		if r.Set != "" && !slices.Contains(out, r.Set) {
			out = append(out, r.Set)
		}
	}
	return out
}

// Users returns the workloads whose documents name set id, in id order.
func (e *Engine) Users(id string) []policy.WorkloadID {
	return sortedKeys(e.users[id])
}

// flip records that set s went from named by no document to named by
// some, or back; two flips cancel.
func (e *Engine) flip(s string) {
	if e.flips[s] {
		delete(e.flips, s)
	} else {
		e.flips[s] = true
	}
}

// naming moves the flips recorded since the last change into d: the sets
// that became named (a store of sets must now hold them) and those no
// longer named (it may drop them).
func (e *Engine) naming(d *Delta) {
	for _, s := range sortedKeys(e.flips) {
		if len(e.users[s]) > 0 {
			d.Named = append(d.Named, s)
		} else {
			d.Unnamed = append(d.Unnamed, s)
		}
	}
	clear(e.flips)
}

// Set returns the members of set id in canonical order, and whether any
// document names it. Sets no document names (a rule's provider side: the
// workloads it applies to, never a peer) are the engine's business only.
func (e *Engine) Set(id string) ([]netip.Prefix, bool) {
	if len(e.users[id]) == 0 {
		return nil, false
	}
	ps := e.selectors[id].prefixes()
	slices.SortFunc(ps, wire.ComparePrefix)
	return ps, true
}

// Named reports whether some document names set id.
func (e *Engine) Named(id string) bool { return len(e.users[id]) > 0 }

// SetIDs lists the sets some document names, in id order.
func (e *Engine) SetIDs() []string { return sortedKeys(e.users) }
