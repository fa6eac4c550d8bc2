package enforce

import (
	"fmt"
	"net/netip"

	"github.com/remora-sec/remora/ven/wire"
)

// The enforcement modes of wire.Document.Mode.
const (
	modeIdle       = "idle"
	modeVisibility = "visibility_only"
	modeSelective  = "selective"
	modeFull       = "full"
)

// validate refuses a document that cannot be programmed exactly as
// wire.Document.Match reads it. It is stricter than Match in one way, like
// the PCE's own policy validation: a field that Match would ignore (a port
// on an icmp rule, an ICMP type on tcp) or a reference that would match
// nothing (an unknown set) is a compiler bug, and programming a broader or
// emptier rule than the sender meant is worse than keeping the previous
// document in force and reporting the error.
func validate(d *wire.Document) error {
	if d == nil {
		return fmt.Errorf("document is nil")
	}
	switch d.Mode {
	case modeIdle, modeVisibility, modeSelective, modeFull:
	default:
		return fmt.Errorf("enforcement_mode %q: want idle, visibility_only, selective or full", d.Mode)
	}
	sets := make(map[string]bool, len(d.Sets))
	for i, s := range d.Sets {
		if s.ID == "" {
			return fmt.Errorf("sets[%d].id: empty", i)
		}
		if sets[s.ID] {
			return fmt.Errorf("sets[%d].id %q: duplicate", i, s.ID)
		}
		sets[s.ID] = true
		for j, p := range s.Prefixes {
			if err := checkPrefix(p); err != nil {
				return fmt.Errorf("sets[%d] (%q).prefixes[%d]: %w", i, s.ID, j, err)
			}
		}
	}
	for i, r := range d.Rules {
		if err := checkRule(r, sets); err != nil {
			return fmt.Errorf("rules[%d] (%s/%s): %w", i, r.Ruleset, r.RuleID, err)
		}
	}
	return nil
}

func checkPrefix(p netip.Prefix) error {
	switch {
	case !p.IsValid():
		return fmt.Errorf("invalid prefix %s", p)
	case p.Addr().Is4In6():
		// Match unmaps the peer, so such a prefix would never match;
		// the sender meant the IPv4 prefix.
		return fmt.Errorf("prefix %s is IPv4-mapped IPv6; write it as IPv4", p)
	}
	return nil
}

func checkRule(r wire.Rule, sets map[string]bool) error {
	switch r.Direction {
	case wire.Inbound, wire.Outbound:
	default:
		return fmt.Errorf("direction %q: want in or out", r.Direction)
	}
	switch r.Class {
	case wire.OverrideDeny, wire.Allow, wire.Deny:
	default:
		return fmt.Errorf("class %q: want override_deny, allow or deny", r.Class)
	}
	if r.Set != "" && !sets[r.Set] {
		return fmt.Errorf("set %q: not in the document's sets", r.Set)
	}
	ports := r.FromPort != 0 || r.ToPort != 0
	icmp := r.ICMPType != nil || r.ICMPCode != nil
	switch r.Proto {
	case "tcp", "udp":
		if icmp {
			return fmt.Errorf("icmp_type/icmp_code: only for proto icmp and icmpv6")
		}
		if ports && (r.FromPort < 0 || r.ToPort > 65535 || r.FromPort > r.ToPort) {
			return fmt.Errorf("ports %d..%d: want 0 <= from_port <= to_port <= 65535", r.FromPort, r.ToPort)
		}
	case "icmp", "icmpv6":
		if ports {
			return fmt.Errorf("from_port/to_port: only for proto tcp and udp")
		}
		if r.ICMPCode != nil && r.ICMPType == nil {
			return fmt.Errorf("icmp_code: needs icmp_type")
		}
		for _, v := range []*int{r.ICMPType, r.ICMPCode} {
			if v != nil && (*v < 0 || *v > 255) {
				return fmt.Errorf("icmp type/code %d: want 0..255", *v)
			}
		}
	case "any":
		if ports || icmp {
			return fmt.Errorf("proto any takes no ports or ICMP type/code")
		}
	default:
		return fmt.Errorf("proto %q: want tcp, udp, icmp, icmpv6 or any", r.Proto)
	}
	return nil
}
