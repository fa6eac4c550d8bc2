package enforce

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/remora-sec/remora/ven/wire"
)

// webDocument exercises every class, both directions, both families, set
// and any peers, port ranges, and icmp beside icmpv6 with a set holding
// both families (icmp must not match IPv6 and icmpv6 not IPv4), and ICMP
// types and codes that the probes' echo requests must not match.
func webDocument(mode string, outbound bool) *wire.Document {
	sets := []wire.Set{
		set("clients", cli4, cli6),
		set("ops", "10.77.0.0/24", "fd77::/64"),
	}
	echoCode1 := icmp(in, al, "", ptr(8))
	echoCode1.ICMPCode = ptr(1)
	return doc(mode, outbound, sets,
		icmp(in, al, "", ptr(13)),
		echoCode1,
		icmpv6(out, al, "", ptr(129)),
		tcp(in, al, "clients", 80, 80),
		tcp(in, al, "", 443, 443),
		tcp(in, od, "clients", 8080, 8080),
		tcp(in, al, "ops", 8000, 8100),
		tcp(in, dn, "", 22, 22),
		tcp(in, al, "clients", 20, 25),
		udp(in, al, "clients", 53, 53),
		icmp(in, od, "clients", nil),
		icmpv6(in, al, "ops", ptr(128)),
		tcp(out, al, "clients", 80, 80),
		udp(out, dn, "", 5353, 5353),
		udp(out, al, "", 0, 0),
		icmp(out, al, "ops", ptr(8)),
	)
}

// webProbes are exchanged under every mode; exempt ones must pass whatever
// the document says.
var webProbes = []struct {
	p      probe
	exempt bool
}{
	{p: probe{proto: "tcp", from: cli4, port: 80}},
	{p: probe{proto: "tcp", from: cliOther4, port: 80}},
	{p: probe{proto: "tcp", from: cli6, port: 80}},
	{p: probe{proto: "tcp", from: cliOther6, port: 80}},
	{p: probe{proto: "tcp", from: cliOther4, port: 443}},
	{p: probe{proto: "tcp", from: cliOther6, port: 443}},
	{p: probe{proto: "tcp", from: cli4, port: 8080}},
	{p: probe{proto: "tcp", from: cliOther4, port: 8080}},
	{p: probe{proto: "tcp", from: cli6, port: 8080}},
	{p: probe{proto: "tcp", from: cliOther6, port: 8080}},
	{p: probe{proto: "tcp", from: cli4, port: 22}},
	{p: probe{proto: "tcp", from: cliOther4, port: 22}},
	{p: probe{proto: "tcp", from: cli6, port: 22}},
	{p: probe{proto: "tcp", from: cliOther6, port: 22}},
	{p: probe{proto: "udp", from: cli4, port: 53}},
	{p: probe{proto: "udp", from: cliOther4, port: 53}},
	{p: probe{proto: "udp", from: cli6, port: 53}},
	{p: probe{proto: "udp", from: cli4, port: 5353}},
	{p: probe{proto: "icmp", from: cli4}},
	{p: probe{proto: "icmp", from: cliOther4}},
	{p: probe{proto: "icmp", from: cli6}},
	{p: probe{proto: "icmp", from: cliOther6}},
	{p: probe{out: true, proto: "tcp", from: cli4, port: 80}},
	{p: probe{out: true, proto: "tcp", from: cliOther4, port: 80}},
	{p: probe{out: true, proto: "tcp", from: cli6, port: 443}},
	{p: probe{out: true, proto: "tcp", from: cli6, port: 80}},
	{p: probe{out: true, proto: "tcp", from: cliOther6, port: 80}},
	{p: probe{out: true, proto: "udp", from: cli4, port: 5353}},
	{p: probe{out: true, proto: "udp", from: cliOther6, port: 53}},
	{p: probe{out: true, proto: "icmp", from: cli4}},
	{p: probe{out: true, proto: "icmp", from: cli6}},
	// The exemptions: the tunnel interface and the PCE's UDP endpoint
	// (cli4:51820 in these tests), both ways.
	{p: probe{proto: "tcp", from: cliTun, port: 8080}, exempt: true},
	{p: probe{out: true, proto: "tcp", from: cliTun, port: 22}, exempt: true},
	{p: probe{proto: "udp", from: cli4, port: 5353, sport: 51820}, exempt: true},
	{p: probe{out: true, proto: "udp", from: cli4, port: 51820}, exempt: true},
}

func testConfig(ns *netns) Config {
	return Config{NetNS: ns.fd, Exempt: Exempt{
		TunnelIface: tunIface,
		PCEEndpoint: netip.AddrPortFrom(netip.MustParseAddr(cli4), 51820),
	}}
}

// TestModes applies the web document under each mode in a fresh pair of
// namespaces and checks, with real traffic, that what passes is what
// Document.Match and the mode say, and that the counters saw it.
func TestModes(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		mode     string
		outbound bool
	}{
		{modeFull, true},
		{modeFull, false},
		{modeSelective, true},
		{modeVisibility, true},
		{modeIdle, true},
	} {
		t.Run(fmt.Sprintf("%s/outbound=%v", tc.mode, tc.outbound), func(t *testing.T) {
			t.Parallel()
			p := newPair(t)
			srv, cli := p.serve(t)
			e, err := New(testConfig(p.server))
			if err != nil {
				t.Fatal(err)
			}
			d := webDocument(tc.mode, tc.outbound)
			a, err := e.Apply(d)
			if err != nil {
				t.Fatal(err)
			}
			wantAction := Full
			if tc.mode == modeIdle {
				wantAction = Removed
			}
			if a.Action != wantAction {
				t.Fatalf("Apply: action %s, want %s", a.Action, wantAction)
			}
			ps := make([]probe, len(webProbes))
			for i, w := range webProbes {
				ps[i] = w.p
			}
			got := exchangeAll(t, srv, cli, ps)
			var wantDropped, wantWould bool
			for i, w := range webProbes {
				want := outcome{Accept: true}
				if !w.exempt {
					want = expectProbe(d, w.p)
				}
				wantDropped = wantDropped || want.Tally == tallyDropped
				wantWould = wantWould || want.Tally == tallyWouldDrop
				if got[i] != want.Accept {
					t.Errorf("%v: got through %v, want %v", w.p, got[i], want.Accept)
				}
			}
			if tc.mode == modeIdle {
				if out := p.server.nft(t, "list", "tables"); out != "" {
					t.Errorf("idle: tables left:\n%s", out)
				}
				return
			}
			c, err := e.Counters()
			if err != nil {
				t.Fatal(err)
			}
			if (c.Dropped > 0) != wantDropped || (c.WouldDrop > 0) != wantWould {
				t.Errorf("counters dropped %d, would_drop %d; want dropped %v, would_drop %v",
					c.Dropped, c.WouldDrop, wantDropped, wantWould)
			}
			for i, r := range c.Rules {
				if r.Rule.Direction == in && r.Rule.Proto == "tcp" && r.Rule.FromPort == 80 && r.Packets == 0 {
					t.Errorf("rule %d (%+v) counted no packet", i, r.Rule)
				}
				if r.Rule.Direction == out && !tc.outbound && r.Packets != 0 {
					t.Errorf("rule %d (%+v) counted %d packets with outbound not enforced", i, r.Rule, r.Packets)
				}
			}
		})
	}
}

// expectProbe is expect for a probe's packet, seen from the server.
func expectProbe(d *wire.Document, p probe) outcome {
	peer, proto, port, typ := p.packet()
	dir := in
	if p.out {
		dir = out
	}
	return expect(d, dir, wire.Packet{Peer: peer, Proto: proto, Port: port, ICMPType: typ, ICMPCode: ptr(0)})
}
