package ssrf

import "net/netip"

// blocked is one address range a webhook may not target, with the phrase
// that completes "… is" in the error the tenant sees.
type blocked struct {
	prefix netip.Prefix
	reason string
}

// blockedRanges lists the addresses that are not the public internet: the
// ones the issue names (loopback, private, link-local, CGNAT, metadata) and
// the rest of IANA's special-purpose ranges that are not globally reachable,
// because a target there is either unreachable or somebody's internal
// network. The more specific entries come first: the first match names the
// reason. IPv4-mapped, NAT64 and 6to4 addresses are not here; classify looks
// through them at the IPv4 address they carry.
var blockedRanges = []blocked{
	{pfx("0.0.0.0/32"), "the unspecified address"},
	{pfx("0.0.0.0/8"), `in 0.0.0.0/8 ("this network", which Linux dials as loopback)`},
	{pfx("10.0.0.0/8"), "a private address"},
	{pfx("100.64.0.0/10"), "a carrier-grade NAT (shared) address"},
	{pfx("127.0.0.0/8"), "a loopback address"},
	{pfx("169.254.169.254/32"), "the cloud metadata address"},
	{pfx("169.254.0.0/16"), "a link-local address"},
	{pfx("172.16.0.0/12"), "a private address"},
	{pfx("192.0.0.0/24"), "an IETF protocol address"}, // holds Oracle Cloud's metadata 192.0.0.192
	{pfx("192.0.2.0/24"), "a documentation address"},
	{pfx("192.168.0.0/16"), "a private address"},
	{pfx("198.18.0.0/15"), "a benchmarking address"},
	{pfx("198.51.100.0/24"), "a documentation address"},
	{pfx("203.0.113.0/24"), "a documentation address"},
	{pfx("224.0.0.0/4"), "a multicast address"},
	{pfx("255.255.255.255/32"), "the broadcast address"},
	{pfx("240.0.0.0/4"), "a reserved address"},

	{pfx("::/128"), "the unspecified address"},
	{pfx("::1/128"), "a loopback address"},
	{pfx("::/96"), "an IPv4-compatible address (deprecated)"},
	{pfx("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{pfx("100::/64"), "a discard-only address"},
	{pfx("2001::/32"), "a Teredo address"}, // its embedded IPv4 address is obfuscated: refuse outright
	{pfx("2001:db8::/32"), "a documentation address"},
	{pfx("fd00:ec2::254/128"), "the cloud metadata address"}, // AWS's IPv6 metadata endpoint
	{pfx("fc00::/7"), "a private (unique local) address"},
	{pfx("fe80::/10"), "a link-local address"},
	{pfx("fec0::/10"), "a site-local address"},
	{pfx("ff00::/8"), "a multicast address"},
}

// Prefixes whose addresses carry an IPv4 address in the given bytes, which
// a translator or relay may turn into a connection to that IPv4 address.
var (
	nat64  = pfx("64:ff9b::/96") // RFC 6052 well-known prefix: bytes 12–15
	sixTo4 = pfx("2002::/16")    // RFC 3056: bytes 2–5
)

// classify returns why a may not be a webhook target, or "" if it is a
// public address. It ignores the allowlist, which Guard applies first.
func classify(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is4In6() {
		return embedded("an IPv4-mapped address", a.Unmap())
	}
	b := a.As16()
	switch {
	case a.Is6() && nat64.Contains(a):
		return embedded("a NAT64 address", netip.AddrFrom4([4]byte(b[12:16])))
	case a.Is6() && sixTo4.Contains(a):
		return embedded("a 6to4 address", netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, r := range blockedRanges {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	return ""
}

// embedded classifies the IPv4 address v4 that an IPv6 address of the given
// kind carries.
func embedded(kind string, v4 netip.Addr) string {
	if r := classify(v4); r != "" {
		return kind + " of " + r
	}
	return ""
}

// pfx parses a literal prefix, panicking on a bad one: the tables above are
// code, and a typo must fail at init, not let an address through.
func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
