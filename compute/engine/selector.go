package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/remora-sec/remora/compute/policy"
)

// terms is a resolved label set: for each key, the labels a workload may
// carry for it (OR within a key, AND across keys). broken marks a term
// naming a missing label or group: the set then matches nothing, so a
// dangling reference never widens a rule.
type terms struct {
	keys   map[string]map[policy.LabelID]bool
	broken bool
}

func (t *terms) matches(n *node) bool {
	if t.broken {
		return false
	}
	for key, allowed := range t.keys {
		if !n.carries(key, allowed) {
			return false
		}
	}
	return true
}

// key is t's canonical text: equal label sets give equal keys.
func (t *terms) key() string {
	if t.broken {
		return "!"
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(t.keys)) {
		b.WriteString(k + "=")
		for _, l := range slices.Sorted(maps.Keys(t.keys[k])) {
			b.WriteString(string(l) + ",")
		}
		b.WriteString(";")
	}
	return b.String()
}

// matcher says which workloads (and addresses) one selector stands for:
// the workload part of an actor list (all workloads, a label set, named
// workloads) narrowed by a scope, plus IP lists.
type matcher struct {
	all       bool
	labels    *terms // nil: the side has no label or group actor
	workloads map[policy.WorkloadID]bool
	scope     *terms // nil: no scope constraint
	ipLists   []policy.IPListID
}

func (m *matcher) matches(n *node) bool {
	if !(m.all || m.workloads[n.id] || m.labels != nil && m.labels.matches(n)) {
		return false
	}
	return m.scope == nil || m.scope.matches(n)
}

// key is m's canonical text, from which its selector id derives.
func (m *matcher) key() string {
	var b strings.Builder
	if m.all {
		b.WriteString("all|")
	}
	if m.labels != nil {
		b.WriteString("labels:" + m.labels.key() + "|")
	}
	for _, w := range slices.Sorted(maps.Keys(m.workloads)) {
		b.WriteString("w:" + string(w) + "|")
	}
	if m.scope != nil {
		b.WriteString("scope:" + m.scope.key() + "|")
	}
	for _, l := range m.ipLists {
		b.WriteString("ip:" + string(l) + "|")
	}
	return b.String()
}

// selectorID derives a stable id from a canonical key: the same actor in
// the same scope has the same id in every compile and every worker.
func selectorID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "s" + hex.EncodeToString(sum[:10])
}

// selector is one shared IP set: its matcher, the workloads it matches and
// its members. An address is a member while at least one matching workload
// holds it (reference-counted, so two workloads sharing an address in two
// VPCs come and go independently); IP-list prefixes are static.
type selector struct {
	id      string
	m       *matcher
	matched map[policy.WorkloadID]bool
	members map[netip.Addr]int
	static  []netip.Prefix

	// The bindings this selector is a side of: a workload it matches gets
	// their inbound rules (asProvider) or, with outbound enforcement, their
	// outbound rules (asConsumer).
	asProvider, asConsumer []*binding
}

// prefixes are the set's members as prefixes (addresses as /32 or /128).
func (s *selector) prefixes() []netip.Prefix {
	out := slices.Clone(s.static)
	for a := range s.members {
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out
}

// node is a workload as the engine holds it: its labels by id with their
// real keys, and its addresses in canonical form.
type node struct {
	id      policy.WorkloadID
	mode    policy.Mode
	labels  map[policy.LabelID]string // label → its key
	addrs   []netip.Addr
	matched []*selector // the selectors n is a member of, in id order
}

// carries reports whether n has a label of key among allowed.
func (n *node) carries(key string, allowed map[policy.LabelID]bool) bool {
	for l, k := range n.labels {
		if k == key && allowed[l] {
			return true
		}
	}
	return false
}

func newNode(w *policy.Workload, labels map[policy.LabelID]policy.Label) *node {
	n := &node{id: w.ID, mode: w.Mode, labels: make(map[policy.LabelID]string, len(w.Labels))}
	for _, id := range w.Labels {
		if l, ok := labels[id]; ok {
			n.labels[id] = l.Key
		}
	}
	seen := map[netip.Addr]bool{}
	for _, in := range w.Interfaces {
		for _, s := range in.Addresses {
			a, err := netip.ParseAddr(s)
			if err != nil {
				continue // validation refuses it; an address that is not one matches nothing
			}
			a = a.Unmap().WithZone("")
			if !seen[a] {
				seen[a] = true
				n.addrs = append(n.addrs, a)
			}
		}
	}
	return n
}
