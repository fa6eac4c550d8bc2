package policy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
)

// Random small tenants for the property tests: three keys, a few nested
// groups, IP lists over a 16-address space per family, a handful of
// workloads sharing that space, and rulesets mixing every actor, scope and
// service kind. Small on purpose: flows then hit rules often, and a failing
// case is short enough to read.

var genKeys = map[string][]string{
	"role": {"web", "app", "db"},
	"env":  {"prod", "dev", "test"},
	"loc":  {"us", "eu"},
}
var genKeyNames = []string{"env", "loc", "role"}

type gen struct{ rng *rand.Rand }

func (g gen) pick(n int) int         { return g.rng.IntN(n) }
func (g gen) chance(n int) bool      { return g.rng.IntN(n) == 0 }
func (g gen) key() string            { return genKeyNames[g.pick(len(genKeyNames))] }
func (g gen) kv(key string) string   { v := genKeys[key]; return key + "=" + v[g.pick(len(v))] }
func (g gen) anyLabel() LabelID      { return lbl(g.kv(g.key())) }
func (g gen) between(lo, hi int) int { return lo + g.pick(hi-lo+1) }

// addr returns one of the 16 addresses of either family, or an outsider.
func (g gen) addr() netip.Addr {
	switch g.pick(5) {
	case 0:
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(g.pick(16))})
	case 1:
		return netip.AddrFrom4([4]byte{192, 0, 2, 1})
	case 2:
		return netip.AddrFrom16(netip.AddrFrom4([4]byte{10, 0, 0, byte(g.pick(16))}).As16()) // mapped
	}
	return netip.AddrFrom4([4]byte{10, 0, 0, byte(g.pick(16))})
}

func (g gen) ipEntry() string {
	a := g.addr().Unmap()
	if a.Is4() && a.As4()[0] != 10 {
		a = netip.AddrFrom4([4]byte{10, 0, 0, 3})
	}
	switch g.pick(3) {
	case 0:
		return a.String()
	case 1:
		p, _ := a.Prefix(a.BitLen() - g.pick(4))
		return p.String()
	}
	hi := a
	for range g.pick(5) {
		if n := hi.Next(); n.IsValid() {
			hi = n
		}
	}
	return a.String() + "-" + hi.String()
}

func (g gen) port() Port {
	switch g.pick(8) {
	case 0, 1:
		return Port{Proto: ProtoAny}
	case 2, 3, 4, 5:
		p := Port{Proto: []Proto{ProtoTCP, ProtoTCP, ProtoUDP}[g.pick(3)], Port: []int{0, 22, 80, 443, 8080}[g.pick(5)]}
		if p.Port != 0 && g.chance(3) {
			p.ToPort = p.Port + g.pick(500)
		}
		return p
	default:
		p := Port{Proto: []Proto{ProtoICMP, ProtoICMPv6}[g.pick(2)]}
		if g.chance(2) {
			p.ICMPType = intp([]int{0, 8}[g.pick(2)])
			if g.chance(2) {
				p.ICMPCode = intp(g.pick(2))
			}
		}
		return p
	}
}

// tenant generates a policy and its workloads.
func (g gen) tenant() (*Policy, []Workload) {
	p := &Policy{Settings: Settings{OutboundEnforcement: g.chance(3)}}
	for _, k := range genKeyNames {
		for _, v := range genKeys[k] {
			p.Labels = append(p.Labels, label(k+"="+v))
		}
	}
	for i := range g.pick(5) {
		k := g.key()
		lg := LabelGroup{ID: LabelGroupID(uid(fmt.Sprint("gen-group:", i))), Name: fmt.Sprint("g", i), Key: k,
			Labels: []LabelID{lbl(g.kv(k))}, Groups: []LabelGroupID{}}
		if g.chance(2) {
			lg.Labels = append(lg.Labels, lbl(g.kv(k))) // may repeat: fixed below
		}
		for _, prev := range p.LabelGroups { // nest earlier groups only: never a cycle
			if prev.Key == k && g.chance(2) {
				lg.Groups = append(lg.Groups, prev.ID)
			}
		}
		if len(lg.Labels) == 2 && lg.Labels[0] == lg.Labels[1] {
			lg.Labels = lg.Labels[:1]
		}
		p.LabelGroups = append(p.LabelGroups, lg)
	}
	for i := range g.pick(3) {
		l := IPList{ID: IPListID(uid(fmt.Sprint("gen-iplist:", i))), Name: fmt.Sprint("l", i), Exclusions: []string{}}
		for range g.between(1, 2) {
			l.Ranges = append(l.Ranges, g.ipEntry())
		}
		if g.chance(2) {
			l.Exclusions = append(l.Exclusions, g.ipEntry())
		}
		p.IPLists = append(p.IPLists, l)
	}
	for i := range g.pick(3) {
		s := Service{ID: ServiceID(uid(fmt.Sprint("gen-service:", i))), Name: fmt.Sprint("s", i)}
		for range g.between(1, 2) {
			s.Ports = append(s.Ports, g.port())
		}
		p.Services = append(p.Services, s)
	}
	var ws []Workload
	for i := range g.between(3, 6) {
		w := Workload{ID: WorkloadID(uid(fmt.Sprint("gen-workload:", i))), Name: fmt.Sprint("w", i),
			Mode: []Mode{Idle, VisibilityOnly, Selective, Full}[g.pick(4)], Labels: []LabelID{}}
		for _, k := range genKeyNames {
			if !g.chance(4) {
				w.Labels = append(w.Labels, lbl(g.kv(k)))
			}
		}
		itf := Interface{Name: "eth0"}
		for range g.between(0, 2) {
			a := g.addr().Unmap()
			if a.Is4() && a.As4()[0] != 10 {
				continue // outsiders stay outside
			}
			itf.Addresses = append(itf.Addresses, a.String())
		}
		w.Interfaces = []Interface{itf}
		ws = append(ws, w)
	}
	for i := range g.between(1, 3) {
		rs := Ruleset{ID: RulesetID(uid(fmt.Sprint("gen-ruleset:", i))), Name: fmt.Sprint("rs", i), Scopes: []Scope{}}
		if g.chance(8) {
			rs.Enabled = boolp(false)
		}
		for range g.pick(3) {
			var s Scope
			for range g.between(1, 2) {
				s = append(s, g.term(p))
			}
			rs.Scopes = append(rs.Scopes, s)
		}
		for j := range g.between(1, 6) {
			r := g.rule(p, ws, len(rs.Scopes) > 0)
			r.ID = RuleID(uid(fmt.Sprintf("gen-rule:%d/%d", i, j)))
			rs.Rules = append(rs.Rules, r)
		}
		p.Rulesets = append(p.Rulesets, rs)
	}
	return p, ws
}

func (g gen) term(p *Policy) LabelRef {
	if len(p.LabelGroups) > 0 && g.chance(3) {
		return LabelRef{LabelGroup: p.LabelGroups[g.pick(len(p.LabelGroups))].ID}
	}
	return LabelRef{Label: g.anyLabel()}
}

func (g gen) actor(p *Policy, ws []Workload, ipOK bool) Actor {
	switch g.pick(6) {
	case 0:
		return Actor{AllWorkloads: true}
	case 1:
		return Actor{Workload: ws[g.pick(len(ws))].ID}
	case 2:
		if ipOK && len(p.IPLists) > 0 {
			return Actor{IPList: p.IPLists[g.pick(len(p.IPLists))].ID}
		}
	}
	t := g.term(p)
	return Actor{Label: t.Label, LabelGroup: t.LabelGroup}
}

// rule generates a rule; scoped says whether its ruleset has scopes, which
// decides where IP lists may appear.
func (g gen) rule(p *Policy, ws []Workload, scoped bool) Rule {
	r := Rule{Action: []Action{Allow, Allow, Deny, OverrideDeny}[g.pick(4)], UnscopedConsumers: g.chance(3)}
	if g.chance(8) {
		r.Enabled = boolp(false)
	}
	for range g.between(1, 2) {
		r.Providers = append(r.Providers, g.actor(p, ws, false))
	}
	for range g.between(1, 2) {
		r.Consumers = append(r.Consumers, g.actor(p, ws, r.UnscopedConsumers || !scoped))
	}
	for range g.between(1, 2) {
		if len(p.Services) > 0 && g.chance(3) {
			r.Services = append(r.Services, ServiceRef{Service: p.Services[g.pick(len(p.Services))].ID})
		} else {
			r.Services = append(r.Services, ServiceRef{Port: g.port()})
		}
	}
	return r
}

// flow generates a valid flow to one of ws.
func (g gen) flow(ws []Workload) Flow {
	f := Flow{Destination: ws[g.pick(len(ws))].ID, Proto: []Proto{ProtoTCP, ProtoTCP, ProtoTCP, ProtoUDP, ProtoICMP, ProtoICMPv6}[g.pick(6)]}
	if g.chance(2) {
		f.Source.Workload = ws[g.pick(len(ws))].ID
	} else {
		f.Source.IP = g.addr()
	}
	switch f.Proto {
	case ProtoTCP, ProtoUDP:
		f.Port = []int{22, 80, 443, 8080, 300, 5432}[g.pick(6)]
	default:
		if g.chance(3) {
			f.ICMPType = intp([]int{0, 8, 3}[g.pick(3)])
			f.ICMPCode = intp(g.pick(2))
		}
	}
	return f
}

// clonePolicy copies p deeply enough for a test to change its rulesets,
// scopes, rules and actors freely; other objects are shared.
func clonePolicy(p *Policy) *Policy {
	q := *p
	q.Rulesets = slices.Clone(p.Rulesets)
	for i := range q.Rulesets {
		rs := &q.Rulesets[i]
		rs.Scopes = slices.Clone(rs.Scopes)
		for j := range rs.Scopes {
			rs.Scopes[j] = slices.Clone(rs.Scopes[j])
		}
		rs.Rules = slices.Clone(rs.Rules)
		for j := range rs.Rules {
			r := &rs.Rules[j]
			r.Providers, r.Consumers, r.Services = slices.Clone(r.Providers), slices.Clone(r.Consumers), slices.Clone(r.Services)
		}
	}
	return &q
}
