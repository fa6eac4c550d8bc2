package enforce

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/remora-sec/remora/ven/wire"
)

// The universe random documents and packets draw from: small, so that
// prefixes overlap, touch and contain each other and packets hit them,
// with the edges of both address spaces and prefixes with host bits set.
var (
	randV4Prefixes = []string{"10.0.0.0/30", "10.0.0.1/32", "10.0.0.4/31", "10.0.0.6/31", "10.0.0.5/30",
		"10.0.1.0/24", "10.0.0.0/23", "0.0.0.0/0", "255.255.255.255/32", "0.0.0.0/32", "10.0.0.8/29", "10.0.0.16/28"}
	randV6Prefixes = []string{"fd00::/126", "fd00::1/128", "fd00::4/127", "fd00::/64", "::/0",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "::/128", "fd00::8/125", "fd00:0:0:1::/64", "fd00::6/126"}
	randV4Peers = []string{"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6",
		"10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.15", "10.0.0.16", "10.0.0.31", "10.0.0.32", "10.0.1.7",
		"10.0.2.1", "0.0.0.0", "255.255.255.255", "192.168.1.1"}
	randV6Peers = []string{"fd00::", "fd00::1", "fd00::2", "fd00::3", "fd00::4", "fd00::5", "fd00::7", "fd00::8",
		"fd00::f", "fd00::10", "fd00:0:0:1::5", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::1"}
	randPorts = [][2]int{{0, 0}, {22, 22}, {80, 90}, {0, 100}, {443, 443}, {65535, 65535}, {1, 65535}}
	randICMP  = []int{0, 3, 8, 128, 129, 135}

	randExempt = Exempt{TunnelIface: "wg0", PCEEndpoint: netip.MustParseAddrPort("10.0.0.9:51820")}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func randDocument(r *rand.Rand) *wire.Document {
	d := &wire.Document{Workload: "w", Mode: pick(r, []string{modeVisibility, modeSelective, modeFull}),
		OutboundEnforcement: r.IntN(3) > 0}
	for i := range r.IntN(5) {
		s := wire.Set{ID: fmt.Sprintf("set%d", i)}
		for range r.IntN(5) {
			ps := randV4Prefixes
			if r.IntN(2) == 0 {
				ps = randV6Prefixes
			}
			s.Prefixes = append(s.Prefixes, netip.MustParsePrefix(pick(r, ps)))
		}
		d.Sets = append(d.Sets, s)
	}
	for i := range r.IntN(10) {
		ru := wire.Rule{Direction: pick(r, []wire.Direction{in, out}), Class: pick(r, wire.Classes),
			Proto: pick(r, []string{"tcp", "udp", "icmp", "icmpv6", "any"}), Ruleset: "rs", RuleID: fmt.Sprint(i)}
		if len(d.Sets) > 0 && r.IntN(4) > 0 {
			ru.Set = pick(r, d.Sets).ID
		}
		switch ru.Proto {
		case "tcp", "udp":
			ps := pick(r, randPorts)
			ru.FromPort, ru.ToPort = ps[0], ps[1]
		case "icmp", "icmpv6":
			if r.IntN(2) == 0 {
				ru.ICMPType = ptr(pick(r, randICMP))
				if r.IntN(2) == 0 {
					ru.ICMPCode = ptr(r.IntN(2))
				}
			}
		}
		d.Rules = append(d.Rules, ru)
	}
	d.Normalize()
	return d
}

// randPacket returns a packet, its direction, and the wire.Packet that
// Match sees, or exempt when a fixed rule must accept it whatever the
// document says.
func randPacket(r *rand.Rand) (dir wire.Direction, pk packet, wp wire.Packet, exempt bool) {
	dir = pick(r, []wire.Direction{in, out})
	v6 := r.IntN(2) == 0
	if v6 {
		pk.peer = netip.MustParseAddr(pick(r, randV6Peers))
	} else {
		pk.peer = netip.MustParseAddr(pick(r, randV4Peers))
	}
	pk.hopLimit = pick(r, []uint8{64, 255, 1})
	protos := []string{"tcp", "udp", "icmp", "sctp"}
	if v6 {
		protos[2] = "icmpv6"
	}
	wp = wire.Packet{Peer: pk.peer, Proto: pick(r, protos)}
	switch wp.Proto {
	case "tcp", "udp":
		pk.l4 = protoTCP
		if wp.Proto == "udp" {
			pk.l4 = protoUDP
		}
		sport, dport := pick(r, []int{1234, 51820}), pick(r, []int{0, 22, 80, 85, 90, 95, 100, 443, 51820, 65535})
		if dir == out && r.IntN(4) == 0 {
			sport, dport = dport, sport
		}
		pk.th = portsHeader(uint16(sport), uint16(dport))
		wp.Port = dport
	case "icmp", "icmpv6":
		pk.l4 = protoICMP
		if v6 {
			pk.l4 = protoICMPv6
		}
		typ, code := pick(r, []int{0, 3, 8, 128, 129, 130, 133, 135, 136, 143}), r.IntN(2)
		pk.th = icmpHeader(uint8(typ), uint8(code))
		wp.ICMPType, wp.ICMPCode = &typ, &code
	case "sctp":
		pk.l4 = 132
		pk.th = portsHeader(1234, 80)
		wp.Port = 80 // Match ignores it: only "any" rules match sctp
	}
	switch r.IntN(20) {
	case 0:
		pk.established = true
	case 1:
		pk.loopback = true
	case 2:
		pk.iface = "wg0"
	case 3:
		pk.iface = "eth0"
	}
	if !v6 && r.IntN(5) == 0 {
		pk.peer = randExempt.PCEEndpoint.Addr()
		wp.Peer = pk.peer
	}
	return dir, pk, wp, isExempt(dir, pk)
}

// isExempt is the specification of the fixed rules, independent of
// prelude: what every chain accepts before the document.
func isExempt(dir wire.Direction, pk packet) bool {
	typ := pk.th[0]
	icmp6 := pk.peer.Is6() && pk.l4 == protoICMPv6
	port := pk.th[0:2] // the peer's port: source inbound, destination outbound
	if dir == out {
		port = pk.th[2:4]
	}
	ep := randExempt.PCEEndpoint
	return pk.established || pk.loopback || pk.iface == randExempt.TunnelIface ||
		icmp6 && 133 <= typ && typ <= 136 && pk.hopLimit == 255 ||
		icmp6 && (130 <= typ && typ <= 132 || typ == 143) && pk.hopLimit == 1 ||
		pk.l4 == protoUDP && pk.peer == ep.Addr() && int(port[0])<<8|int(port[1]) == int(ep.Port())
}

// TestCompileMatchesDocument checks the abstract program against
// Document.Match on random documents and packets: the verdict and counter
// of the first matching rule are what the mode makes of Match's class, and
// a document rule that decides is one of the rules Match reports.
func TestCompileMatchesDocument(t *testing.T) {
	const docs, packets = 300, 300
	for seed := range uint64(docs) {
		r := rand.New(rand.NewPCG(seed, 42))
		d := randDocument(r)
		if err := validate(d); err != nil {
			t.Fatalf("seed %d: random document invalid: %v", seed, err)
		}
		p, err := compile(d, randExempt)
		if err != nil {
			t.Fatalf("seed %d: compile: %v", seed, err)
		}
		if err := wellFormed(p); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for range packets {
			dir, pk, wp, exempt := randPacket(r)
			c := p.Input
			if dir == out {
				c = p.Output
			}
			i, err := eval(p, c, pk)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			got := c.Rules[i]
			want := outcome{Accept: true}
			if !exempt {
				want = expect(d, dir, wp)
			}
			if (outcome{Accept: got.Verdict == accept, Tally: got.Tally}) != want {
				t.Fatalf("seed %d: %s %+v (%+v): rule %q gives %v/%v, want %+v\ndocument: %+v",
					seed, dir, wp, pk, got.Comment, got.Verdict, got.Tally, want, d)
			}
			if exempt {
				continue
			}
			class, hits := d.Match(dir, wp)
			switch {
			case dir == out && !d.OutboundEnforcement || class == "":
				if got.Origin != -1 {
					t.Fatalf("seed %d: %s %+v decided by %q, want the default", seed, dir, wp, got.Comment)
				}
			case got.Origin < 0 || !slices.Contains(hits, d.Rules[got.Origin]):
				t.Fatalf("seed %d: %s %+v decided by %q, want one of %+v", seed, dir, wp, got.Comment, hits)
			}
		}
	}
}

// wellFormed checks what eval cannot see: an ICMP rule is limited to its
// own family (ICMPv4 inside IPv6 is not traffic, so a wrong family would
// pass eval unnoticed), and no rule looks up an empty set, which could
// only waste a rule.
func wellFormed(p *program) error {
	for _, c := range []chain{p.Input, p.Output} {
		for _, r := range c.Rules {
			if r.L4 == protoICMP && r.Family != ipv4 || r.L4 == protoICMPv6 && r.Family != ipv6 {
				return fmt.Errorf("rule %q: ICMP of family %d", r.Comment, r.Family)
			}
			if i := slices.IndexFunc(p.Sets, func(s setSpec) bool { return s.Name == r.PeerSet }); i >= 0 && len(p.Sets[i].Ranges) == 0 {
				return fmt.Errorf("rule %q: looks up empty set %s", r.Comment, r.PeerSet)
			}
		}
	}
	return nil
}

// TestCompileIdle: idle programs nothing at all.
func TestCompileIdle(t *testing.T) {
	p, err := compile(doc(modeIdle, true, nil, tcp(in, dn, "", 0, 0)), randExempt)
	if p != nil || err != nil {
		t.Fatalf("compile(idle) = %+v, %v; want nil, nil", p, err)
	}
}

// TestExpect pins the specification table of expect with literal rows, so
// a mistake in the oracle cannot hide a mistake in compile.
func TestExpect(t *testing.T) {
	rules := []wire.Rule{tcp(in, od, "", 1, 1), tcp(in, al, "", 2, 2), tcp(in, dn, "", 3, 3), tcp(out, dn, "", 3, 3)}
	peer := netip.MustParseAddr("10.0.0.1")
	for _, row := range []struct {
		mode     string
		outbound bool
		dir      wire.Direction
		port     int
		want     outcome
	}{
		{modeFull, true, in, 1, outcome{Tally: tallyDropped}},
		{modeFull, true, in, 2, outcome{Accept: true}},
		{modeFull, true, in, 3, outcome{Tally: tallyDropped}},
		{modeFull, true, in, 4, outcome{Tally: tallyDropped}},
		{modeFull, true, out, 3, outcome{Tally: tallyDropped}},
		{modeFull, true, out, 4, outcome{Tally: tallyDropped}},
		{modeFull, false, out, 3, outcome{Accept: true}},
		{modeSelective, true, in, 1, outcome{Tally: tallyDropped}},
		{modeSelective, true, in, 2, outcome{Accept: true}},
		{modeSelective, true, in, 3, outcome{Tally: tallyDropped}},
		{modeSelective, true, in, 4, outcome{Accept: true, Tally: tallyWouldDrop}},
		{modeSelective, true, out, 4, outcome{Accept: true, Tally: tallyWouldDrop}},
		{modeVisibility, true, in, 1, outcome{Accept: true, Tally: tallyWouldDrop}},
		{modeVisibility, true, in, 2, outcome{Accept: true}},
		{modeVisibility, true, in, 3, outcome{Accept: true, Tally: tallyWouldDrop}},
		{modeVisibility, true, in, 4, outcome{Accept: true, Tally: tallyWouldDrop}},
		{modeVisibility, false, out, 3, outcome{Accept: true}},
		{modeIdle, true, in, 1, outcome{Accept: true}},
	} {
		d := doc(row.mode, row.outbound, nil, rules...)
		if got := expect(d, row.dir, wire.Packet{Peer: peer, Proto: "tcp", Port: row.port}); got != row.want {
			t.Errorf("%s outbound=%v %s port %d: %+v, want %+v", row.mode, row.outbound, row.dir, row.port, got, row.want)
		}
	}
}
