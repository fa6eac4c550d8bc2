package engine

import (
	"slices"

	"github.com/remora-sec/remora/compute/policy"
)

// index answers "which selectors may this workload match" in time bounded
// by the workload's labels, not by the number of selectors: each selector
// is filed under the labels one of which every workload it matches must
// carry, choosing the key that allows the fewest labels (its most
// selective term). Only selectors with no such term — all workloads with
// no scope — are candidates for every workload.
type index struct {
	byLabel    map[policy.LabelID][]*selector
	byWorkload map[policy.WorkloadID][]*selector
	everyone   []*selector
	static     []*selector // selectors with IP-list members, for egress
}

func newIndex() *index {
	return &index{byLabel: make(map[policy.LabelID][]*selector), byWorkload: make(map[policy.WorkloadID][]*selector)}
}

// file adds s to the index.
func (ix *index) file(s *selector) {
	if len(s.static) > 0 {
		ix.static = append(ix.static, s)
	}
	m := s.m
	if m.scope != nil {
		if m.scope.broken {
			return // matches nothing
		}
		if l, ok := narrowest(m.scope); ok {
			ix.fileUnder(s, l)
			return
		}
	}
	switch {
	case m.all:
		ix.everyone = append(ix.everyone, s)
		return
	case m.labels != nil && !m.labels.broken:
		if l, ok := narrowest(m.labels); ok {
			ix.fileUnder(s, l)
		} else {
			ix.everyone = append(ix.everyone, s) // an empty label set: every workload
			return
		}
	}
	for w := range m.workloads {
		ix.byWorkload[w] = append(ix.byWorkload[w], s)
	}
}

func (ix *index) fileUnder(s *selector, labels map[policy.LabelID]bool) {
	for l := range labels {
		ix.byLabel[l] = append(ix.byLabel[l], s)
	}
}

// narrowest returns the allowed labels of t's most selective key; false
// when t constrains no key.
func narrowest(t *terms) (map[policy.LabelID]bool, bool) {
	var best map[policy.LabelID]bool
	for _, allowed := range t.keys {
		if best == nil || len(allowed) < len(best) {
			best = allowed
		}
	}
	return best, best != nil
}

// candidates are the selectors n may match, each once.
func (ix *index) candidates(n *node) []*selector {
	var out []*selector
	seen := map[*selector]bool{}
	add := func(ss []*selector) {
		for _, s := range ss {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	for l := range n.labels {
		add(ix.byLabel[l])
	}
	add(ix.byWorkload[n.id])
	add(ix.everyone)
	return out
}

// matching returns the selectors n matches, in id order.
func (ix *index) matching(n *node) []*selector {
	out := slices.DeleteFunc(ix.candidates(n), func(s *selector) bool { return !s.m.matches(n) })
	slices.SortFunc(out, func(a, b *selector) int { return compareString(a.id, b.id) })
	return out
}

func compareString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
