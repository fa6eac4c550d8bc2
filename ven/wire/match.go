package wire

import "net/netip"

// Packet is what a rule is matched against: the peer's address and the
// flow's protocol and port (or ICMP type and code).
type Packet struct {
	Peer     netip.Addr
	Proto    string // tcp, udp, icmp, icmpv6
	Port     int
	ICMPType *int
	ICMPCode *int
}

// Match returns the first class, in precedence order, with a rule of
// direction dir matching p, and every matching rule of that class; "" when
// none matches and the mode's default applies. It is the document's
// meaning, which the agent's nftables program must reproduce.
func (d *Document) Match(dir Direction, p Packet) (Class, []Rule) {
	sets := make(map[string][]netip.Prefix, len(d.Sets))
	for _, s := range d.Sets {
		sets[s.ID] = s.Prefixes
	}
	peer := p.Peer.Unmap()
	for _, c := range Classes {
		var hits []Rule
		for _, r := range d.Rules {
			if r.Direction == dir && r.Class == c && r.matches(sets, peer, p) {
				hits = append(hits, r)
			}
		}
		if len(hits) > 0 {
			return c, hits
		}
	}
	return "", nil
}

func (r Rule) matches(sets map[string][]netip.Prefix, peer netip.Addr, p Packet) bool {
	if r.Set != "" && !inPrefixes(sets[r.Set], peer) {
		return false
	}
	switch {
	case r.Proto == "any":
		return true
	case r.Proto != p.Proto:
		return false
	case r.Proto == "tcp" || r.Proto == "udp":
		return r.FromPort == 0 && r.ToPort == 0 || r.FromPort <= p.Port && p.Port <= r.ToPort
	}
	return optMatches(r.ICMPType, p.ICMPType) && optMatches(r.ICMPCode, p.ICMPCode)
}

func inPrefixes(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func optMatches(want, got *int) bool { return want == nil || got != nil && *got == *want }
