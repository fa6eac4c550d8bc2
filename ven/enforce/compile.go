package enforce

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/remora-sec/remora/ven/wire"
)

// compile maps a validated document to the program that enforces it, or
// nil for idle (no table at all). It is pure, so tests check it against
// wire.Document.Match on random packets.
//
// Each chain runs, in order: established and related traffic, loopback,
// IPv6 neighbor discovery, the exemptions, the document's rules of that
// direction by precedence class (override_deny, allow, deny: nftables stops
// at the first match, which is exactly Match's "first class with a
// matching rule"), and the default.
func compile(d *wire.Document, x Exempt) (*program, error) {
	if d.Mode == modeIdle {
		return nil, nil
	}
	p := &program{}
	filled := make(map[string]bool, 2*len(d.Sets)) // by set name: has ranges
	for _, s := range d.Sets {
		for _, v4 := range []bool{true, false} {
			n := setName(s.ID, v4)
			if _, dup := filled[n]; dup {
				return nil, fmt.Errorf("set %q: name %s already taken by another set", s.ID, n)
			}
			rs := familyRanges(s.Prefixes, v4)
			filled[n] = len(rs) > 0
			p.Sets = append(p.Sets, setSpec{Name: n, V4: v4, Ranges: rs})
		}
	}
	slices.SortFunc(p.Sets, func(a, b setSpec) int { return cmp.Compare(a.Name, b.Name) })
	nonEmpty := func(id string, v4 bool) bool { return filled[setName(id, v4)] }

	p.Input = chain{Rules: prelude(x, true)}
	p.Output = chain{Rules: prelude(x, false)}
	for _, dir := range []wire.Direction{wire.Inbound, wire.Outbound} {
		c := &p.Input
		if dir == wire.Outbound {
			c = &p.Output
			if !d.OutboundEnforcement {
				c.Rules = append(c.Rules, rule{Verdict: accept, Origin: -1, Comment: "default out (outbound not enforced)"})
				c.Policy = accept
				continue
			}
		}
		for _, class := range wire.Classes {
			for i, r := range d.Rules {
				if r.Direction == dir && r.Class == class {
					c.Rules = append(c.Rules, expand(r, i, d.Mode, nonEmpty)...)
				}
			}
		}
		def := defaultRule(d.Mode, dir)
		c.Rules = append(c.Rules, def)
		c.Policy = def.Verdict
	}
	return p, nil
}

// closedProgram is what Remove("closed") leaves: the fixed rules and a
// drop of everything else, both ways.
func closedProgram(x Exempt) *program {
	p := &program{Input: chain{Rules: prelude(x, true), Policy: drop}, Output: chain{Rules: prelude(x, false), Policy: drop}}
	p.Input.Rules = append(p.Input.Rules, rule{Verdict: drop, Tally: tallyDropped, Origin: -1, Comment: "closed in"})
	p.Output.Rules = append(p.Output.Rules, rule{Verdict: drop, Tally: tallyDropped, Origin: -1, Comment: "closed out"})
	return p
}

// prelude is the fixed head of a chain: what no document may filter.
// IPv6 neighbor discovery (ICMPv6 133-136) and multicast listener
// discovery (130-132, 143) are there because conntrack does not track
// them and without them a drop default cuts IPv6 off: no neighbor is
// resolved, and switches that snoop MLD stop forwarding the solicitations.
// Their hop limits (255 and 1, which RFC 4861 and RFC 3810 require) keep
// them to the link.
func prelude(x Exempt, in bool) []rule {
	dir := "in"
	if !in {
		dir = "out"
	}
	rs := []rule{
		{Established: true, Verdict: accept, Origin: -1, Comment: "established " + dir},
		{Loopback: true, Verdict: accept, Origin: -1, Comment: "loopback " + dir},
		{Family: ipv6, L4: protoICMPv6, ICMPType: between(133, 136), HopLimit: 255, Verdict: accept, Origin: -1,
			Comment: "neighbor discovery " + dir},
		{Family: ipv6, L4: protoICMPv6, ICMPType: between(130, 132), HopLimit: 1, Verdict: accept, Origin: -1,
			Comment: "multicast listener discovery " + dir},
		{Family: ipv6, L4: protoICMPv6, ICMPType: only(143), HopLimit: 1, Verdict: accept, Origin: -1,
			Comment: "multicast listener discovery v2 " + dir},
	}
	if x.TunnelIface != "" {
		rs = append(rs, rule{Iface: x.TunnelIface, Verdict: accept, Origin: -1, Comment: "exempt tunnel " + dir})
	}
	if ep := x.PCEEndpoint; ep.IsValid() {
		r := rule{Family: ipv6, L4: protoUDP, PeerAddr: ep.Addr(), Verdict: accept, Origin: -1, Comment: "exempt PCE endpoint " + dir}
		if ep.Addr().Is4() {
			r.Family = ipv4
		}
		if in {
			r.SPort = only(ep.Port())
		} else {
			r.DPort = only(ep.Port())
		}
		rs = append(rs, r)
	}
	return rs
}

// expand turns document rule i into zero, one or two abstract rules: one
// per address family the rule can match. icmp exists only in IPv4 and
// icmpv6 only in IPv6; a rule with a set needs a family only if the set
// has prefixes of it (an empty set matches nothing, so neither does the
// rule). A family that gains its first prefix later changes the rules,
// which costs a full apply instead of a set update; that is rare.
func expand(r wire.Rule, i int, mode string, nonEmpty func(id string, v4 bool) bool) []rule {
	base := rule{Origin: i, Comment: fmt.Sprintf("#%d %s %s %s/%s", i, r.Direction, r.Class, r.Ruleset, r.RuleID)}
	base.Verdict, base.Tally = classVerdict(mode, r.Class)
	fams := []family{ipv4, ipv6}
	switch r.Proto {
	case "tcp", "udp":
		base.L4 = protoTCP
		if r.Proto == "udp" {
			base.L4 = protoUDP
		}
		if r.FromPort != 0 || r.ToPort != 0 {
			base.DPort = between(uint16(r.FromPort), uint16(r.ToPort))
		}
	case "icmp", "icmpv6":
		base.L4, fams = protoICMP, []family{ipv4}
		if r.Proto == "icmpv6" {
			base.L4, fams = protoICMPv6, []family{ipv6}
		}
		if r.ICMPType != nil {
			base.ICMPType = only(uint16(*r.ICMPType))
		}
		if r.ICMPCode != nil {
			base.ICMPCode = only(uint16(*r.ICMPCode))
		}
	}
	if r.Set == "" {
		if len(fams) == 2 {
			return []rule{base} // tcp, udp or any from anyone: no family needed
		}
		base.Family = fams[0]
		return []rule{base}
	}
	var out []rule
	for _, f := range fams {
		if !nonEmpty(r.Set, f == ipv4) {
			continue
		}
		rf := base
		rf.Family, rf.PeerSet = f, setName(r.Set, f == ipv4)
		out = append(out, rf)
	}
	return out
}

// classVerdict is what a matching rule of a class does in a mode. Only
// visibility_only turns a deny into a counted accept; selective and full
// enforce every deny class and differ only in the default.
func classVerdict(mode string, c wire.Class) (verdict, tally) {
	switch {
	case c == wire.Allow:
		return accept, noTally
	case mode == modeVisibility:
		return accept, tallyWouldDrop
	default:
		return drop, tallyDropped
	}
}

// defaultRule decides what no document rule matched. Only full mode drops
// it; the other modes accept and count it as potentially blocked, which is
// what the VEN reports as would-be drops.
func defaultRule(mode string, dir wire.Direction) rule {
	r := rule{Origin: -1, Comment: "default " + string(dir)}
	if mode == modeFull {
		r.Verdict, r.Tally = drop, tallyDropped
	} else {
		r.Verdict, r.Tally = accept, tallyWouldDrop
	}
	return r
}
