package engine

import (
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/ven/wire"
)

// binding is one rule in one scope of its ruleset: the unit the decision
// rule quantifies over ("for some scope S …"). A workload that matches
// provider gets an inbound rule from peerIn; with outbound enforcement, a
// workload that matches consumer gets an outbound rule to peerOut.
type binding struct {
	ruleset  policy.RulesetID
	rule     policy.RuleID
	class    wire.Class
	provider *matcher // providers ∧ S
	consumer *matcher // consumers ∧ S (without S for an extra-scope rule)
	peerIn   *selector
	peerOut  *selector
	ports    []policy.Port
}

var actionClass = map[policy.Action]wire.Class{
	policy.OverrideDeny: wire.OverrideDeny, policy.Allow: wire.Allow, policy.Deny: wire.Deny,
}

// compilePolicy turns the policy into bindings, interning their selectors.
func (e *Engine) compilePolicy() {
	e.bindings = make(map[policy.RulesetID][]*binding, len(e.pol.Rulesets))
	for i := range e.pol.Rulesets {
		e.compileRuleset(&e.pol.Rulesets[i])
	}
}

// compileRuleset adds rs's bindings, linking each to its two selectors; it
// returns the selectors it created.
func (e *Engine) compileRuleset(rs *policy.Ruleset) (created []*selector) {
	if !rs.IsEnabled() {
		return nil
	}
	if _, dup := e.bindings[rs.ID]; dup {
		return nil // a repeated id, which validation refuses: the first wins
	}
	scopes := make([]*terms, 0, len(rs.Scopes))
	for _, s := range rs.Scopes {
		if len(s) == 0 {
			scopes = append(scopes, nil) // an empty scope is the universal one
			continue
		}
		scopes = append(scopes, e.resolveTerms(s))
	}
	if len(scopes) == 0 {
		scopes = []*terms{nil}
	}
	var bs []*binding
	intern := func(m *matcher) *selector {
		s, isNew := e.intern(m)
		if isNew {
			created = append(created, s)
		}
		return s
	}
	for j := range rs.Rules {
		r := &rs.Rules[j]
		class, ok := actionClass[r.Action]
		if !ok || !r.IsEnabled() {
			continue
		}
		ports := e.ports(r.Services)
		if len(ports) == 0 {
			continue // no service entry can match
		}
		// IP-list consumers count only where the scope does not bind
		// consumers; elsewhere they match nothing (as in Decide).
		ipOK := r.UnscopedConsumers || len(rs.Scopes) == 0
		for _, s := range scopes {
			consScope := s
			if r.UnscopedConsumers {
				consScope = nil
			}
			prov := e.side(r.Providers, s, false)
			cons := e.side(r.Consumers, consScope, ipOK)
			b := &binding{ruleset: rs.ID, rule: r.ID, class: class, provider: prov, consumer: cons,
				peerIn: intern(cons), peerOut: intern(prov), ports: ports}
			b.peerOut.asProvider = append(b.peerOut.asProvider, b)
			b.peerIn.asConsumer = append(b.peerIn.asConsumer, b)
			bs = append(bs, b)
		}
	}
	e.bindings[rs.ID] = bs
	return created
}

// side resolves an actor list, narrowed by scope, into a matcher. IP lists
// are kept only when withIPs (consumers of an unscoped rule): providers'
// IP lists match nothing, as in Decide.
func (e *Engine) side(actors []policy.Actor, scope *terms, withIPs bool) *matcher {
	m := &matcher{scope: scope}
	var labelTerms []policy.LabelRef
	for _, a := range actors {
		if setFields(a) != 1 {
			continue // malformed: matches nothing
		}
		switch {
		case a.AllWorkloads:
			m.all = true
		case a.Label != "":
			labelTerms = append(labelTerms, policy.LabelRef{Label: a.Label})
		case a.LabelGroup != "":
			labelTerms = append(labelTerms, policy.LabelRef{LabelGroup: a.LabelGroup})
		case a.IPList != "":
			if withIPs && e.ipLists[a.IPList] != nil {
				m.ipLists = append(m.ipLists, a.IPList)
			}
		case a.Workload != "":
			if m.workloads == nil {
				m.workloads = make(map[policy.WorkloadID]bool)
			}
			m.workloads[a.Workload] = true
		}
	}
	if len(labelTerms) > 0 {
		m.labels = e.resolveTerms(labelTerms)
	}
	return m
}

func setFields(a policy.Actor) int {
	n := 0
	for _, set := range []bool{a.AllWorkloads, a.Label != "", a.LabelGroup != "", a.IPList != "", a.Workload != ""} {
		if set {
			n++
		}
	}
	return n
}

// resolveTerms resolves label and label group terms, expanding groups; a
// group counts as its own key.
func (e *Engine) resolveTerms(refs []policy.LabelRef) *terms {
	t := &terms{keys: make(map[string]map[policy.LabelID]bool)}
	add := func(key string, labels map[policy.LabelID]bool) {
		set := t.keys[key]
		if set == nil {
			set = make(map[policy.LabelID]bool)
			t.keys[key] = set
		}
		for l := range labels {
			set[l] = true
		}
	}
	for _, r := range refs {
		switch {
		case r.Label != "" && r.LabelGroup == "":
			l, ok := e.labels[r.Label]
			if !ok {
				t.broken = true
				continue
			}
			add(l.Key, map[policy.LabelID]bool{l.ID: true})
		case r.LabelGroup != "" && r.Label == "":
			g, ok := e.catalog.LabelGroup(r.LabelGroup)
			if !ok {
				t.broken = true
				continue
			}
			add(g.Key, policy.ExpandGroup(e.catalog, r.LabelGroup))
		default:
			t.broken = true
		}
	}
	return t
}

// ports lists the port entries of a rule's services; a missing service
// adds none.
func (e *Engine) ports(refs []policy.ServiceRef) []policy.Port {
	var out []policy.Port
	for _, ref := range refs {
		if ref.Service == "" {
			out = append(out, ref.Port)
			continue
		}
		if s := e.services[ref.Service]; s != nil {
			out = append(out, s.Ports...)
		}
	}
	return out
}

// wireRules are the document rules of one binding for one direction.
func (b *binding) wireRules(dir wire.Direction, set string) []wire.Rule {
	out := make([]wire.Rule, 0, len(b.ports))
	for _, p := range b.ports {
		r := wire.Rule{Direction: dir, Class: b.class, Set: set, Proto: string(p.Proto), Ruleset: string(b.ruleset), RuleID: string(b.rule)}
		switch p.Proto {
		case policy.ProtoTCP, policy.ProtoUDP:
			if p.Port != 0 {
				r.FromPort, r.ToPort = p.Port, p.Port
				if p.ToPort != 0 {
					r.ToPort = p.ToPort
				}
			}
		case policy.ProtoICMP, policy.ProtoICMPv6:
			r.ICMPType, r.ICMPCode = p.ICMPType, p.ICMPCode
		}
		out = append(out, r)
	}
	return out
}
