package ssrf

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		addr string
		want string // substring of the reason; "" for a public address
	}{
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "this network"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.100.100.200", "carrier-grade NAT"}, // Alibaba Cloud metadata
		{"100.127.255.255", "carrier-grade NAT"},
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"169.254.169.254", "cloud metadata"},
		{"169.254.1.1", "link-local"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.0.0.192", "IETF protocol"}, // Oracle Cloud metadata
		{"192.168.1.1", "private"},
		{"198.18.0.1", "benchmarking"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},

		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::127.0.0.1", "IPv4-compatible"},
		{"::ffff:127.0.0.1", "IPv4-mapped address of a loopback"},
		{"::ffff:10.0.0.1", "IPv4-mapped address of a private"},
		{"::ffff:169.254.169.254", "IPv4-mapped address of the cloud metadata"},
		{"64:ff9b::7f00:1", "NAT64 address of a loopback"},
		{"64:ff9b::a9fe:a9fe", "NAT64 address of the cloud metadata"},
		{"64:ff9b:1::1", "local-use NAT64"},
		{"2002:c0a8:101::1", "6to4 address of a private"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"},
		{"2001:db8::1", "documentation"},
		{"fc00::1", "private"},
		{"fd00::1", "private"},
		{"fd00:ec2::254", "cloud metadata"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"fec0::1", "site-local"},
		{"ff02::1", "multicast"},

		// Public: the neighbours of blocked ranges, and translations of
		// public IPv4 addresses.
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},
		{"1.0.0.1", ""},
		{"9.255.255.255", ""},
		{"11.0.0.0", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"169.253.255.255", ""},
		{"172.15.255.255", ""},
		{"172.32.0.0", ""},
		{"192.167.255.255", ""},
		{"192.169.0.0", ""},
		{"223.255.255.255", ""},
		{"::ffff:93.184.216.34", ""},
		{"64:ff9b::5db8:d822", ""},
		{"2002:5db8:d822::1", ""},
		{"2606:4700:4700::1111", ""},
		{"2a00:1450:4001::1", ""},
	}
	for _, tt := range tests {
		got := classify(netip.MustParseAddr(tt.addr))
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("classify(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestAllowed(t *testing.T) {
	g := &Guard{Allow: []netip.Prefix{pfx("127.0.0.1/32"), pfx("fd00:1::/64")}}
	tests := []struct {
		addr string
		want string // "" when allowed
	}{
		{"127.0.0.1", ""},
		{"::ffff:127.0.0.1", ""}, // an IPv4 prefix admits the mapped form
		{"127.0.0.2", "loopback"},
		{"fd00:1::5", ""},
		{"fd00:2::5", "private"},
		{"::1", "loopback"},
	}
	for _, tt := range tests {
		if got := g.reason(netip.MustParseAddr(tt.addr)); (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("reason(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestEndsInNumber(t *testing.T) {
	for host, want := range map[string]bool{
		"127.1": true, "2130706433": true, "0x7f.0.0.1": true, "0x7f000001": true, "1.2.3.04": true,
		"example.com": false, "1example.com": false, "api.123abc": false, "0xzz": false, "host.example.": false,
	} {
		if got := endsInNumber(host); got != want {
			t.Errorf("endsInNumber(%q) = %v, want %v", host, got, want)
		}
	}
}
