package enforce

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
)

// packet is a packet as the abstract rules see it, from the host: peer is
// the remote address (source inbound, destination outbound), th the first
// bytes of the transport header exactly as nftables' "th" reads them.
type packet struct {
	peer        netip.Addr
	l4          uint8
	th          [4]byte
	hopLimit    uint8
	iface       string
	loopback    bool
	established bool
}

func portsHeader(sport, dport uint16) [4]byte {
	var b [4]byte
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	return b
}

func icmpHeader(typ, code uint8) [4]byte { return [4]byte{typ, code} }

// eval runs a chain of p on a packet the way nftables would: the first
// rule whose every match holds decides. It returns that rule's index. It
// fails on a rule nftables would read wrongly (a peer match without a
// family guard loads bytes of the other family's header).
func eval(p *program, c chain, pk packet) (int, error) {
	for i, r := range c.Rules {
		ok, err := matches(p, r, pk)
		if err != nil {
			return 0, fmt.Errorf("rule %d (%s): %w", i, r.Comment, err)
		}
		if ok {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no rule decided")
}

func matches(p *program, r rule, pk packet) (bool, error) {
	v4 := pk.peer.Is4()
	if (r.PeerSet != "" || r.PeerAddr.IsValid() || r.HopLimit != 0) && r.Family == anyFamily {
		return false, fmt.Errorf("network header match without a family")
	}
	switch {
	case r.Family == ipv4 && !v4, r.Family == ipv6 && v4:
		return false, nil
	case r.Established && !pk.established,
		r.Loopback && !pk.loopback,
		r.Iface != "" && r.Iface != pk.iface,
		r.L4 != 0 && r.L4 != pk.l4,
		r.HopLimit != 0 && r.HopLimit != pk.hopLimit:
		return false, nil
	}
	if (r.ICMPType.On || r.ICMPCode.On || r.SPort.On || r.DPort.On) && r.L4 == 0 {
		return false, fmt.Errorf("transport header match without a protocol")
	}
	if !r.ICMPType.has(uint16(pk.th[0])) || !r.ICMPCode.has(uint16(pk.th[1])) ||
		!r.SPort.has(binary.BigEndian.Uint16(pk.th[0:])) || !r.DPort.has(binary.BigEndian.Uint16(pk.th[2:])) {
		return false, nil
	}
	if r.PeerAddr.IsValid() && r.PeerAddr != pk.peer {
		return false, nil
	}
	if r.PeerSet != "" {
		i := slices.IndexFunc(p.Sets, func(s setSpec) bool { return s.Name == r.PeerSet })
		if i < 0 {
			return false, fmt.Errorf("set %s not in the program", r.PeerSet)
		}
		s := p.Sets[i]
		if s.V4 != (r.Family == ipv4) {
			return false, fmt.Errorf("set %s of the other family", s.Name)
		}
		if !slices.ContainsFunc(s.Ranges, func(ar addrRange) bool { return ar.contains(pk.peer) }) {
			return false, nil
		}
	}
	return true, nil
}
