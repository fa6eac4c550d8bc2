package policy

import "net/netip"

// ruleMatches reports whether rule r of rs applies to a flow from src to
// dst: both enabled, a service entry matches, and for some scope S of rs
// (the universal scope when rs has none) dst is in S and is a provider,
// and the source is a consumer — a workload consumer in S too unless the
// rule is extra-scope, or an address in an IP-list consumer.
//
// Consumer and provider must be in the same scope: a ruleset scoped to
// "env=prod" and "env=dev" lets prod talk to prod and dev to dev, never
// dev to prod.
func ruleMatches(ix *index, rs *Ruleset, r *Rule, dst *Workload, src source, f Flow) bool {
	if !rs.IsEnabled() || !r.IsEnabled() || !servicesMatch(ix, r.Services, f) {
		return false
	}
	if !ix.side(r.Providers).matchesWorkload(ix, dst) {
		return false
	}
	consumers := ix.side(r.Consumers)
	scopes := rs.Scopes
	if len(scopes) == 0 {
		scopes = []Scope{nil}
	}
	for i := range scopes {
		scope := ix.scope(&scopes[i])
		if !scope.matches(ix, dst) {
			continue
		}
		// An address has no labels to be in a scope with: IP-list
		// consumers count only where the scope does not bind consumers
		// (validation refuses them elsewhere; here they match nothing).
		if (r.UnscopedConsumers || len(rs.Scopes) == 0) && consumers.matchesAddrs(src.addrs) {
			return true
		}
		for _, w := range src.workloads {
			if consumers.matchesWorkload(ix, w) && (r.UnscopedConsumers || scope.matches(ix, w)) {
				return true
			}
		}
	}
	return false
}

// side is one resolved side of a rule (its providers or its consumers):
// alternatives, any of which makes a match.
type side struct {
	all       bool
	labels    *labelSet // nil when the side has no label or label group actor
	workloads map[WorkloadID]bool
	ipLists   []ipSet
}

// side resolves one side of a rule, once per index: an Evaluator asked
// about many flows walks every rule each time, but resolves each only once.
func (ix *index) side(actors []Actor) side {
	if len(actors) == 0 {
		return side{}
	}
	if ix.sides == nil {
		ix.sides = make(map[*Actor]side)
	}
	if s, ok := ix.sides[&actors[0]]; ok {
		return s
	}
	s := resolveSide(ix, actors)
	ix.sides[&actors[0]] = s
	return s
}

// scope resolves a scope, once per index.
func (ix *index) scope(s *Scope) labelSet {
	if ls, ok := ix.scopes[s]; ok {
		return ls
	}
	if ix.scopes == nil {
		ix.scopes = make(map[*Scope]labelSet)
	}
	ls := resolveLabelSet(ix, *s)
	ix.scopes[s] = ls
	return ls
}

func resolveSide(ix *index, actors []Actor) side {
	var s side
	var terms []LabelRef
	for _, a := range actors {
		if a.setFields() != 1 {
			continue // malformed: matches nothing
		}
		switch {
		case a.AllWorkloads:
			s.all = true
		case a.Label != "":
			terms = append(terms, LabelRef{Label: a.Label})
		case a.LabelGroup != "":
			terms = append(terms, LabelRef{LabelGroup: a.LabelGroup})
		case a.IPList != "":
			if l, ok := ix.ipSet(a.IPList); ok {
				s.ipLists = append(s.ipLists, l)
			}
		case a.Workload != "":
			if s.workloads == nil {
				s.workloads = make(map[WorkloadID]bool)
			}
			s.workloads[a.Workload] = true
		}
	}
	if len(terms) > 0 {
		ls := resolveLabelSet(ix, terms)
		s.labels = &ls
	}
	return s
}

// setFields counts the fields of a that are set; a valid actor has one.
func (a Actor) setFields() int {
	n := 0
	for _, set := range []bool{a.AllWorkloads, a.Label != "", a.LabelGroup != "", a.IPList != "", a.Workload != ""} {
		if set {
			n++
		}
	}
	return n
}

// matchesWorkload reports whether w is one of the side's workloads. IP
// lists never match here: they stand for addresses outside the workload
// model, so as providers (which validation refuses) they match nothing.
func (s side) matchesWorkload(ix *index, w *Workload) bool {
	return s.all || s.workloads[w.ID] || s.labels != nil && s.labels.matches(ix, w)
}

// matchesAddrs reports whether one of addrs is in one of the side's IP lists.
func (s side) matchesAddrs(addrs []netip.Addr) bool {
	for _, l := range s.ipLists {
		for _, a := range addrs {
			if l.contains(a) {
				return true
			}
		}
	}
	return false
}

// servicesMatch reports whether an entry of refs covers the flow; a named
// service does when one of its ports does, a missing one never.
func servicesMatch(ix *index, refs []ServiceRef, f Flow) bool {
	for _, ref := range refs {
		if ref.Service == "" {
			if portMatches(ref.Port, f) {
				return true
			}
			continue
		}
		if svc := ix.services[ref.Service]; svc != nil {
			for _, p := range svc.Ports {
				if portMatches(p, f) {
					return true
				}
			}
		}
	}
	return false
}

// portMatches reports whether p covers the flow's protocol and port (or
// ICMP type and code).
func portMatches(p Port, f Flow) bool {
	switch {
	case p.Proto == ProtoAny:
		return true
	case p.Proto != f.Proto:
		return false
	case p.Proto == ProtoTCP || p.Proto == ProtoUDP:
		if p.Port == 0 {
			return true
		}
		hi := p.ToPort
		if hi == 0 {
			hi = p.Port
		}
		return p.Port <= f.Port && f.Port <= hi
	case p.Proto == ProtoICMP || p.Proto == ProtoICMPv6:
		return optMatches(p.ICMPType, f.ICMPType) && optMatches(p.ICMPCode, f.ICMPCode)
	}
	return false
}

// optMatches reports whether an optional field of a port admits the flow's
// value: unset admits anything, set needs the flow to carry the same value.
func optMatches(want, got *int) bool {
	return want == nil || got != nil && *got == *want
}
