package engine

import (
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
