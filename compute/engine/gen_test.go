package engine

import (
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/remora-sec/remora/compute/policy"
)

// gen builds random, valid tenants small enough that random flows hit
// rules often: three keys of three values, a few groups (some nested),
// IP lists in both families with exclusions, workloads with v4 and v6
// addresses (a few shared between two workloads), every mode, and
// rulesets with 0–2 scopes and every kind of actor and action.
type gen struct {
	r   *rand.Rand
	seq int
}

func (g *gen) id(prefix string) string {
	g.seq++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", g.seq, len(prefix))
}

var genKeys = []string{"role", "app", "env"}

func (g *gen) policy() *policy.Policy {
	p := &policy.Policy{}
	for _, k := range genKeys {
		for v := range 3 {
			p.Labels = append(p.Labels, policy.Label{ID: policy.LabelID(g.id("l")), Key: k, Value: fmt.Sprint(v)})
		}
	}
	for i := range 4 {
		k := genKeys[g.r.IntN(len(genKeys))]
		grp := policy.LabelGroup{ID: policy.LabelGroupID(g.id("g")), Name: fmt.Sprint("g", i), Key: k, Labels: []policy.LabelID{}, Groups: []policy.LabelGroupID{}}
		for _, l := range p.Labels {
			if l.Key == k && g.r.IntN(2) == 0 {
				grp.Labels = append(grp.Labels, l.ID)
			}
		}
		for _, prev := range p.LabelGroups {
			if prev.Key == k && g.r.IntN(2) == 0 {
				grp.Groups = append(grp.Groups, prev.ID)
			}
		}
		p.LabelGroups = append(p.LabelGroups, grp)
	}
	p.IPLists = []policy.IPList{
		{ID: policy.IPListID(g.id("i")), Name: "v4", Ranges: []string{"10.0.0.0/26", "10.0.1.5-10.0.1.40"}, Exclusions: []string{"10.0.0.16/28", "10.0.1.9"}},
		{ID: policy.IPListID(g.id("i")), Name: "v6", Ranges: []string{"2001:db8::/124"}, Exclusions: []string{"2001:db8::4-2001:db8::7"}},
		{ID: policy.IPListID(g.id("i")), Name: "mixed", Ranges: []string{"10.0.2.0/27", "2001:db8::10/125"}, Exclusions: []string{}},
	}
	p.Services = []policy.Service{
		{ID: policy.ServiceID(g.id("s")), Name: "web", Ports: []policy.Port{{Proto: policy.ProtoTCP, Port: 80}, {Proto: policy.ProtoTCP, Port: 443}}},
		{ID: policy.ServiceID(g.id("s")), Name: "range", Ports: []policy.Port{{Proto: policy.ProtoTCP, Port: 8000, ToPort: 8100}}},
		{ID: policy.ServiceID(g.id("s")), Name: "ping", Ports: []policy.Port{{Proto: policy.ProtoICMP, ICMPType: ptr(8)}, {Proto: policy.ProtoICMPv6, ICMPType: ptr(128)}}},
	}
	for i := range 1 + g.r.IntN(4) {
		p.Rulesets = append(p.Rulesets, g.ruleset(p, i))
	}
	p.Settings.OutboundEnforcement = g.r.IntN(3) == 0
	return p
}

func ptr[T any](v T) *T { return &v }

func (g *gen) labelRef(p *policy.Policy) policy.LabelRef {
	if g.r.IntN(4) == 0 {
		return policy.LabelRef{LabelGroup: p.LabelGroups[g.r.IntN(len(p.LabelGroups))].ID}
	}
	return policy.LabelRef{Label: p.Labels[g.r.IntN(len(p.Labels))].ID}
}

func (g *gen) ruleset(p *policy.Policy, i int) policy.Ruleset {
	rs := policy.Ruleset{ID: policy.RulesetID(g.id("rs")), Name: fmt.Sprint("rs", i), Scopes: []policy.Scope{}}
	for range g.r.IntN(3) {
		var s policy.Scope
		for range 1 + g.r.IntN(2) {
			s = append(s, g.labelRef(p))
		}
		rs.Scopes = append(rs.Scopes, s)
	}
	if g.r.IntN(10) == 0 {
		rs.Enabled = ptr(false)
	}
	for range 1 + g.r.IntN(4) {
		r := policy.Rule{ID: policy.RuleID(g.id("r")), Action: []policy.Action{policy.Allow, policy.Allow, policy.Deny, policy.OverrideDeny}[g.r.IntN(4)]}
		r.UnscopedConsumers = g.r.IntN(3) == 0
		ipOK := r.UnscopedConsumers || len(rs.Scopes) == 0
		r.Providers = g.actors(p, false)
		r.Consumers = g.actors(p, ipOK)
		r.Services = g.services(p)
		if g.r.IntN(12) == 0 {
			r.Enabled = ptr(false)
		}
		rs.Rules = append(rs.Rules, r)
	}
	return rs
}

func (g *gen) actors(p *policy.Policy, ipOK bool) []policy.Actor {
	var out []policy.Actor
	for range 1 + g.r.IntN(3) {
		switch n := g.r.IntN(10); {
		case n == 0:
			out = append(out, policy.Actor{AllWorkloads: true})
		case n == 1 && ipOK:
			out = append(out, policy.Actor{IPList: p.IPLists[g.r.IntN(len(p.IPLists))].ID})
		case n == 2:
			out = append(out, policy.Actor{Workload: policy.WorkloadID(fmt.Sprintf("%08x-0000-4000-8000-%012x", 1000+g.r.IntN(12), 1))})
		case n < 5:
			out = append(out, policy.Actor{LabelGroup: p.LabelGroups[g.r.IntN(len(p.LabelGroups))].ID})
		default:
			out = append(out, policy.Actor{Label: p.Labels[g.r.IntN(len(p.Labels))].ID})
		}
	}
	return out
}

func (g *gen) services(p *policy.Policy) []policy.ServiceRef {
	var out []policy.ServiceRef
	for range 1 + g.r.IntN(2) {
		switch g.r.IntN(5) {
		case 0:
			out = append(out, policy.ServiceRef{Port: policy.Port{Proto: policy.ProtoAny}})
		case 1:
			out = append(out, policy.ServiceRef{Port: policy.Port{Proto: policy.ProtoTCP, Port: []int{0, 22, 80}[g.r.IntN(3)]}})
		case 2:
			out = append(out, policy.ServiceRef{Port: policy.Port{Proto: policy.ProtoUDP, Port: 53}})
		default:
			out = append(out, policy.ServiceRef{Service: p.Services[g.r.IntN(len(p.Services))].ID})
		}
	}
	return out
}

var genModes = []policy.Mode{policy.Idle, policy.VisibilityOnly, policy.Selective, policy.Full, policy.Full}

// workload i has a fixed id (so rules can name it) and random labels,
// mode and addresses; i%7 == 3 shares its v4 address with i-1.
func (g *gen) workload(p *policy.Policy, i int) policy.Workload {
	w := policy.Workload{ID: policy.WorkloadID(fmt.Sprintf("%08x-0000-4000-8000-%012x", 1000+i, 1)), Name: fmt.Sprint("w", i),
		Mode: genModes[g.r.IntN(len(genModes))], Labels: []policy.LabelID{}}
	for ki := range genKeys {
		if g.r.IntN(5) > 0 {
			w.Labels = append(w.Labels, p.Labels[ki*3+g.r.IntN(3)].ID)
		}
	}
	v4 := i
	if i%7 == 3 {
		v4 = i - 1
	}
	addrs := []string{fmt.Sprintf("10.0.%d.%d", v4/40, v4%40+1)}
	if g.r.IntN(2) == 0 {
		addrs = append(addrs, fmt.Sprintf("2001:db8::%x", i+1))
	}
	if g.r.IntN(15) == 0 {
		addrs = nil
	}
	w.Interfaces = []policy.Interface{{Name: "eth0", Addresses: addrs}}
	return w
}

func (g *gen) workloads(p *policy.Policy, n int) []policy.Workload {
	ws := make([]policy.Workload, n)
	for i := range ws {
		ws[i] = g.workload(p, i)
	}
	return ws
}

// flow is a random flow to a random workload from an address that is
// often a workload's or an IP list's.
func (g *gen) flow(ws []policy.Workload) policy.Flow {
	var src netip.Addr
	switch g.r.IntN(4) {
	case 0:
		src = netip.MustParseAddr(fmt.Sprintf("10.0.%d.%d", g.r.IntN(3), g.r.IntN(64)))
	case 1:
		src = netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", g.r.IntN(40)))
	default:
		w := ws[g.r.IntN(len(ws))]
		if len(w.Interfaces[0].Addresses) == 0 {
			src = netip.MustParseAddr("192.0.2.1")
		} else {
			src = netip.MustParseAddr(w.Interfaces[0].Addresses[g.r.IntN(len(w.Interfaces[0].Addresses))])
		}
	}
	f := policy.Flow{Source: policy.Endpoint{IP: src}, Destination: ws[g.r.IntN(len(ws))].ID}
	switch g.r.IntN(5) {
	case 0:
		f.Proto, f.ICMPType = policy.ProtoICMP, ptr([]int{0, 8}[g.r.IntN(2)])
	case 1:
		f.Proto, f.Port = policy.ProtoUDP, []int{53, 80}[g.r.IntN(2)]
	default:
		f.Proto, f.Port = policy.ProtoTCP, []int{22, 80, 443, 8050, 9000}[g.r.IntN(5)]
	}
	return f
}
