package enforce

import (
	"net/netip"

	"github.com/remora-sec/remora/ven/wire"
)

// Tiny literal helpers for documents; they panic on a bad literal.

func set(id string, prefixes ...string) wire.Set {
	s := wire.Set{ID: id}
	for _, p := range prefixes {
		if a, err := netip.ParseAddr(p); err == nil {
			s.Prefixes = append(s.Prefixes, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		s.Prefixes = append(s.Prefixes, netip.MustParsePrefix(p))
	}
	return s
}

// tcp, udp, icmp, icmpv6 and anyProto build rules; ports are "from..to".
func tcp(dir wire.Direction, c wire.Class, setID string, from, to int) wire.Rule {
	return wire.Rule{Direction: dir, Class: c, Set: setID, Proto: "tcp", FromPort: from, ToPort: to, Ruleset: "rs", RuleID: "tcp"}
}

func udp(dir wire.Direction, c wire.Class, setID string, from, to int) wire.Rule {
	r := tcp(dir, c, setID, from, to)
	r.Proto, r.RuleID = "udp", "udp"
	return r
}

func icmp(dir wire.Direction, c wire.Class, setID string, typ *int) wire.Rule {
	return wire.Rule{Direction: dir, Class: c, Set: setID, Proto: "icmp", ICMPType: typ, Ruleset: "rs", RuleID: "icmp"}
}

func icmpv6(dir wire.Direction, c wire.Class, setID string, typ *int) wire.Rule {
	r := icmp(dir, c, setID, typ)
	r.Proto, r.RuleID = "icmpv6", "icmpv6"
	return r
}

func doc(mode string, outbound bool, sets []wire.Set, rules ...wire.Rule) *wire.Document {
	d := &wire.Document{Workload: "w1", Generation: 1, Mode: mode, OutboundEnforcement: outbound, Sets: sets, Rules: rules}
	d.Normalize()
	return d
}

const (
	in  = wire.Inbound
	out = wire.Outbound
	od  = wire.OverrideDeny
	al  = wire.Allow
	dn  = wire.Deny
)
