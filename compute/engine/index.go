package engine

import (
	"slices"
	"strings"

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

// filing says where a selector belongs: under labels (one of which every
// workload it matches carries), under workload ids, under every workload,
// or nowhere (it can match no workload).
type filing struct {
	labels    map[policy.LabelID]bool
	workloads map[policy.WorkloadID]bool
	everyone  bool
}

func fileOf(m *matcher) filing {
	if m.scope != nil {
		if m.scope.broken {
			return filing{}
		}
		if l, ok := narrowest(m.scope); ok {
			return filing{labels: l}
		}
	}
	switch {
	case m.all:
		return filing{everyone: true}
	case m.labels != nil && !m.labels.broken:
		l, ok := narrowest(m.labels)
		if !ok {
			return filing{everyone: true}
		}
		return filing{labels: l, workloads: m.workloads}
	}
	return filing{workloads: m.workloads}
}

// file adds s to the index.
func (ix *index) file(s *selector) {
	if len(s.static) > 0 {
		ix.static = append(ix.static, s)
	}
	f := fileOf(s.m)
	if f.everyone {
		ix.everyone = append(ix.everyone, s)
	}
	ix.fileUnder(s, f.labels)
	for w := range f.workloads {
		ix.byWorkload[w] = append(ix.byWorkload[w], s)
	}
}

// unfile removes s from the index.
func (ix *index) unfile(s *selector) {
	drop := func(ss []*selector) []*selector {
		return slices.DeleteFunc(ss, func(x *selector) bool { return x == s })
	}
	ix.static = drop(ix.static)
	f := fileOf(s.m)
	if f.everyone {
		ix.everyone = drop(ix.everyone)
	}
	for l := range f.labels {
		ix.byLabel[l] = drop(ix.byLabel[l])
	}
	for w := range f.workloads {
		ix.byWorkload[w] = drop(ix.byWorkload[w])
	}
}

func (ix *index) fileUnder(s *selector, labels map[policy.LabelID]bool) {
	for l := range labels {
		ix.byLabel[l] = append(ix.byLabel[l], s)
	}
}

// narrowest returns the allowed labels of t's most selective key; false
// when t constrains no key.
// Ties go to the lesser key: filing and unfiling must choose alike.
func narrowest(t *terms) (map[policy.LabelID]bool, bool) {
	var (
		best    map[policy.LabelID]bool
		bestKey string
	)
	for key, allowed := range t.keys {
		if best == nil || len(allowed) < len(best) || len(allowed) == len(best) && key < bestKey {
			best, bestKey = allowed, key
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
	slices.SortFunc(out, func(a, b *selector) int { return strings.Compare(a.id, b.id) })
	return out
}
