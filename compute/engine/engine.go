package engine

import (
	"net/netip"
	"slices"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/ven/wire"
)

// Engine is one tenant's compiled policy and workload graph.
type Engine struct {
	pol      *policy.Policy
	catalog  policy.Catalog
	labels   map[policy.LabelID]policy.Label
	services map[policy.ServiceID]*policy.Service
	ipLists  map[policy.IPListID]*policy.IPList

	workloads map[policy.WorkloadID]policy.Workload // as given, to rebuild nodes when labels change
	nodes     map[policy.WorkloadID]*node
	byLabel   map[policy.LabelID]map[policy.WorkloadID]bool // the workloads carrying each label
	bindings  map[policy.RulesetID][]*binding
	selectors map[string]*selector // by id
	index     *index
	rules     map[policy.WorkloadID][]wire.Rule     // each workload's rules, canonical order
	users     map[string]map[policy.WorkloadID]bool // set id → the workloads whose rules name it
	flips     map[string]bool                       // sets named or unnamed since the last delta (see naming)
}

// New compiles p (the active version, with its labels and settings) for
// ws. p and the workloads must not change while the engine uses them.
func New(p *policy.Policy, ws []policy.Workload) *Engine {
	e := &Engine{nodes: make(map[policy.WorkloadID]*node, len(ws)), workloads: make(map[policy.WorkloadID]policy.Workload, len(ws)),
		flips: make(map[string]bool)}
	e.setPolicy(p)
	for i := range ws {
		e.workloads[ws[i].ID] = ws[i]
		e.nodes[ws[i].ID] = newNode(&ws[i], e.labels)
	}
	e.compile()
	clear(e.flips)
	return e
}

// setPolicy indexes p's objects.
func (e *Engine) setPolicy(p *policy.Policy) {
	e.pol = p
	e.catalog = p.Catalog(nil)
	e.labels = make(map[policy.LabelID]policy.Label, len(p.Labels))
	for _, l := range p.Labels {
		if _, dup := e.labels[l.ID]; !dup {
			e.labels[l.ID] = l
		}
	}
	e.services = make(map[policy.ServiceID]*policy.Service, len(p.Services))
	for i := range p.Services {
		if e.services[p.Services[i].ID] == nil {
			e.services[p.Services[i].ID] = &p.Services[i]
		}
	}
	e.ipLists = make(map[policy.IPListID]*policy.IPList, len(p.IPLists))
	for i := range p.IPLists {
		if e.ipLists[p.IPLists[i].ID] == nil {
			e.ipLists[p.IPLists[i].ID] = &p.IPLists[i]
		}
	}
}

// compile rebuilds every binding, selector and rule list from scratch.
func (e *Engine) compile() {
	e.selectors = make(map[string]*selector)
	e.compilePolicy()
	e.index = newIndex()
	for _, id := range sortedKeys(e.selectors) {
		e.index.file(e.selectors[id])
	}
	e.byLabel = make(map[policy.LabelID]map[policy.WorkloadID]bool)
	for _, n := range e.nodes {
		e.indexLabels(n, true)
		n.matched = e.index.matching(n)
		for _, s := range n.matched {
			s.add(n)
		}
	}
	e.rules = make(map[policy.WorkloadID][]wire.Rule, len(e.nodes))
	e.users = make(map[string]map[policy.WorkloadID]bool)
	for id, n := range e.nodes {
		e.setRules(id, e.rulesOf(n))
	}
}

// intern returns the selector for m, creating it (with its static IP-list
// members, and no workload members yet) on first use.
func (e *Engine) intern(m *matcher) (s *selector, isNew bool) {
	id := selectorID(m.key())
	if s, ok := e.selectors[id]; ok {
		return s, false
	}
	s = &selector{id: id, m: m, matched: make(map[policy.WorkloadID]bool), members: make(map[netip.Addr]int)}
	for _, l := range m.ipLists {
		s.static = append(s.static, listPrefixes(e.ipLists[l])...)
	}
	e.selectors[id] = s
	return s, true
}

// indexLabels files n under its labels (or, with !add, takes it out).
func (e *Engine) indexLabels(n *node, add bool) {
	for l := range n.labels {
		ws := e.byLabel[l]
		if ws == nil {
			ws = make(map[policy.WorkloadID]bool)
			e.byLabel[l] = ws
		}
		if add {
			ws[n.id] = true
		} else {
			delete(ws, n.id)
		}
	}
}

// add makes n a match of s; it returns the addresses that became members.
func (s *selector) add(n *node) []netip.Addr {
	s.matched[n.id] = true
	var added []netip.Addr
	for _, a := range n.addrs {
		s.members[a]++
		if s.members[a] == 1 {
			added = append(added, a)
		}
	}
	return added
}

// remove undoes add; it returns the addresses that stopped being members.
func (s *selector) remove(n *node) []netip.Addr {
	delete(s.matched, n.id)
	var removed []netip.Addr
	for _, a := range n.addrs {
		s.members[a]--
		if s.members[a] == 0 {
			delete(s.members, a)
			removed = append(removed, a)
		}
	}
	return removed
}

// rulesOf is n's rule list in canonical order: an inbound rule from each
// binding whose provider side n is on and, with outbound enforcement, an
// outbound rule to each binding whose consumer side n is on.
func (e *Engine) rulesOf(n *node) []wire.Rule {
	var out []wire.Rule
	outbound := func(s *selector) {
		for _, b := range s.asConsumer {
			out = append(out, b.wireRules(wire.Outbound, b.peerOut.id)...)
		}
	}
	for _, s := range n.matched {
		for _, b := range s.asProvider {
			out = append(out, b.wireRules(wire.Inbound, b.peerIn.id)...)
		}
		if e.pol.Settings.OutboundEnforcement {
			outbound(s)
		}
	}
	if e.pol.Settings.OutboundEnforcement {
		for _, s := range e.index.static {
			if inLists(n, s.static) {
				outbound(s) // Normalize drops a rule already added above
			}
		}
	}
	d := wire.Document{Rules: out}
	d.Normalize()
	return d.Rules
}

// inLists reports whether every address of n is in ps: then every packet
// n sends comes from an IP-list consumer, and n is a consumer at its own
// egress. A workload with only some addresses in the list is not: an
// outbound rule cannot tell its source addresses apart, and widening an
// allow to all of them would fail open (the destination still enforces
// its inbound rules either way).
func inLists(n *node, ps []netip.Prefix) bool {
	if len(n.addrs) == 0 || len(ps) == 0 {
		return false
	}
	for _, a := range n.addrs {
		if !slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(a) }) {
			return false
		}
	}
	return true
}

// Document returns workload id's document at generation gen, with the
// sets its rules name; nil for a workload the engine does not know.
func (e *Engine) Document(id policy.WorkloadID, gen uint64) *wire.Document {
	return e.document(id, gen, e.cachedMembers(map[string][]netip.Prefix{}))
}

// Documents returns every workload's document at generation gen, in
// workload id order. Each set's members are built and sorted once, not
// once for every document that names the set.
func (e *Engine) Documents(gen uint64) []*wire.Document {
	members := e.cachedMembers(map[string][]netip.Prefix{})
	out := make([]*wire.Document, 0, len(e.nodes))
	for _, id := range sortedKeys(e.nodes) {
		out = append(out, e.document(id, gen, members))
	}
	return out
}

// Outline returns workload id's document without the sets' members: its
// mode, rules and the ids of the sets they name (each with no prefixes).
// Outlines and sets are stored apart, so a set's new member rewrites one
// set, not every document that names it; the full document is the outline
// with its sets filled in. nil for a workload the engine does not know.
func (e *Engine) Outline(id policy.WorkloadID) *wire.Document {
	return e.document(id, 0, func(string) []netip.Prefix { return []netip.Prefix{} })
}

// WorkloadIDs lists every workload, in id order.
func (e *Engine) WorkloadIDs() []policy.WorkloadID { return sortedKeys(e.nodes) }

// cachedMembers returns a members function that builds and sorts each
// set once, keeping it in cache.
func (e *Engine) cachedMembers(cache map[string][]netip.Prefix) func(string) []netip.Prefix {
	return func(id string) []netip.Prefix {
		ps, ok := cache[id]
		if !ok {
			ps, _ = e.Set(id)
			cache[id] = ps
		}
		return slices.Clone(ps)
	}
}

// document builds one document, with each set's prefixes from members.
func (e *Engine) document(id policy.WorkloadID, gen uint64, members func(set string) []netip.Prefix) *wire.Document {
	n := e.nodes[id]
	if n == nil {
		return nil
	}
	d := &wire.Document{Workload: string(id), Generation: gen, Mode: string(n.mode),
		OutboundEnforcement: e.pol.Settings.OutboundEnforcement, Rules: slices.Clone(e.rules[id])}
	for _, s := range setsOf(d.Rules) {
		d.Sets = append(d.Sets, wire.Set{ID: s, Prefixes: members(s)})
	}
	d.Normalize()
	return d
}
