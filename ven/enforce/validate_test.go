package enforce

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/remora-sec/remora/ven/wire"
)

func TestValidate(t *testing.T) {
	ok := func() *wire.Document {
		return doc(modeFull, true, []wire.Set{set("a", "10.0.0.0/24")}, tcp(in, al, "a", 80, 80), icmp(in, dn, "", ptr(8)))
	}
	if err := validate(ok()); err != nil {
		t.Fatalf("valid document refused: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(d *wire.Document)
		want   string
	}{
		{"mode", func(d *wire.Document) { d.Mode = "enforced" }, `enforcement_mode "enforced"`},
		{"empty set id", func(d *wire.Document) { d.Sets = append(d.Sets, wire.Set{}) }, "sets[1].id: empty"},
		{"duplicate set", func(d *wire.Document) { d.Sets = append(d.Sets, set("a")) }, `sets[1].id "a": duplicate`},
		{"bad prefix", func(d *wire.Document) { d.Sets[0].Prefixes = append(d.Sets[0].Prefixes, netip.Prefix{}) }, "invalid prefix"},
		{"mapped prefix", func(d *wire.Document) {
			d.Sets[0].Prefixes = append(d.Sets[0].Prefixes, netip.MustParsePrefix("::ffff:10.0.0.0/120"))
		}, "IPv4-mapped"},
		{"direction", func(d *wire.Document) { d.Rules[0].Direction = "both" }, `direction "both"`},
		{"class", func(d *wire.Document) { d.Rules[0].Class = "block" }, `class "block"`},
		{"unknown set", func(d *wire.Document) { d.Rules[0].Set = "nope" }, `set "nope"`},
		{"proto", func(d *wire.Document) { d.Rules[0].Proto = "sctp" }, `proto "sctp"`},
		{"inverted ports", func(d *wire.Document) { d.Rules[0].FromPort, d.Rules[0].ToPort = 90, 80 }, "ports 90..80"},
		{"only to_port", func(d *wire.Document) { d.Rules[0].FromPort, d.Rules[0].ToPort = 80, 0 }, "ports 80..0"},
		{"port too big", func(d *wire.Document) { d.Rules[0].ToPort = 70000 }, "ports 80..70000"},
		{"icmp on tcp", func(d *wire.Document) { d.Rules[0].ICMPType = ptr(8) }, "only for proto icmp"},
		{"port on icmp", func(d *wire.Document) { d.Rules[1].FromPort, d.Rules[1].ToPort = 1, 1 }, "only for proto tcp"},
		{"icmp type range", func(d *wire.Document) { d.Rules[1].ICMPType = ptr(256) }, "icmp type/code 256"},
		{"code without type", func(d *wire.Document) { d.Rules[1].ICMPType, d.Rules[1].ICMPCode = nil, ptr(0) }, "needs icmp_type"},
		{"any with port", func(d *wire.Document) { d.Rules[0].Proto = "any" }, "proto any takes no ports"},
	} {
		d := ok()
		tc.change(d)
		err := validate(d)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: validate = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if err := validate(nil); err == nil {
		t.Error("validate(nil) = nil, want an error")
	}
}

func TestConfig(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil || c.Table != DefaultTable {
		t.Fatalf("Config{}.withDefaults() = %+v, %v", c, err)
	}
	mapped, err := Config{Exempt: Exempt{PCEEndpoint: netip.MustParseAddrPort("[::ffff:10.0.0.1]:51820")}}.withDefaults()
	if err != nil || mapped.Exempt.PCEEndpoint != netip.MustParseAddrPort("10.0.0.1:51820") {
		t.Errorf("mapped endpoint: %+v, %v; want it unmapped", mapped.Exempt.PCEEndpoint, err)
	}
	for _, bad := range []Config{
		{Table: "re-mora"},
		{Table: strings.Repeat("t", 65)},
		{NetNS: -1},
		{Exempt: Exempt{TunnelIface: "a-very-long-interface"}},
		{Exempt: Exempt{PCEEndpoint: netip.MustParseAddrPort("10.0.0.1:0")}},
		{Exempt: Exempt{PCEEndpoint: netip.AddrPortFrom(netip.Addr{}, 51820)}},
	} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("withDefaults(%+v) = nil error, want one", bad)
		}
	}
}
