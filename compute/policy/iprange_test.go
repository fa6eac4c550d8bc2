package policy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParseIPRange(t *testing.T) {
	for _, tc := range []struct {
		in       string
		from, to string // empty: want an error
		err      string // substring of the error
	}{
		{in: "10.0.0.1", from: "10.0.0.1", to: "10.0.0.1"},
		{in: "10.0.0.0/8", from: "10.0.0.0", to: "10.255.255.255"},
		{in: "0.0.0.0/0", from: "0.0.0.0", to: "255.255.255.255"},
		{in: "10.0.0.7/32", from: "10.0.0.7", to: "10.0.0.7"},
		{in: "10.0.0.1-10.0.0.9", from: "10.0.0.1", to: "10.0.0.9"},
		{in: "10.0.0.1-10.0.0.1", from: "10.0.0.1", to: "10.0.0.1"},
		{in: "2001:db8::1", from: "2001:db8::1", to: "2001:db8::1"},
		{in: "2001:db8::/32", from: "2001:db8::", to: "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
		{in: "::/0", from: "::", to: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{in: "2001:db8::1-2001:db8::ff", from: "2001:db8::1", to: "2001:db8::ff"},
		// IPv4-mapped entries stand for their IPv4 addresses.
		{in: "::ffff:10.0.0.1", from: "10.0.0.1", to: "10.0.0.1"},
		{in: "::ffff:10.0.0.0/104", from: "10.0.0.0", to: "10.255.255.255"},
		{in: "::ffff:10.0.0.1-10.0.0.9", from: "10.0.0.1", to: "10.0.0.9"},

		{in: "10.0.0.1/8", err: `invalid prefix "10.0.0.1/8": host bits set, did you mean 10.0.0.0/8`},
		{in: "2001:db8::1/32", err: `host bits set, did you mean 2001:db8::/32`},
		{in: "10.0.0.0/33", err: `invalid prefix "10.0.0.0/33"`},
		{in: "10.0.0.0/", err: `invalid prefix`},
		{in: "10.0.0.9-10.0.0.1", err: `"10.0.0.9-10.0.0.1": starts after it ends`},
		{in: "10.0.0.1-2001:db8::1", err: "mixes IPv4 and IPv6"},
		{in: "::fffe:0:0-::ffff:10.0.0.1", err: "mixes IPv4 and IPv6"},
		{in: "10.0.0.1-", err: `"" is not an IP address`},
		{in: "10.0.0.1 - 10.0.0.9", err: `"10.0.0.1 " is not an IP address`},
		{in: "fe80::1%eth0", err: "zones are not allowed"},
		{in: "fe80::%eth0/64", err: "zones are not allowed"},
		{in: "", err: `invalid IP address ""`},
		{in: "10.0.0", err: `invalid IP address "10.0.0"`},
		{in: "example.com", err: "invalid IP address"},
		{in: "010.0.0.1", err: "invalid IP address"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			r, err := ParseIPRange(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseIPRange(%q) = %v, %v; want error containing %q", tc.in, r, err, tc.err)
				}
				if r != (IPRange{}) {
					t.Errorf("failed parse returned %v, want the zero range", r)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseIPRange(%q): %v", tc.in, err)
			}
			if want := (IPRange{addr(tc.from), addr(tc.to)}); r != want {
				t.Errorf("ParseIPRange(%q) = %v, want %v", tc.in, r, want)
			}
			back, err := ParseIPRange(r.String())
			if err != nil || back != r {
				t.Errorf("String round trip: %q parses to %v, %v", r.String(), back, err)
			}
		})
	}
}

func TestIPRangeContains(t *testing.T) {
	v4 := IPRange{addr("10.0.0.5"), addr("10.0.0.9")}
	v6 := IPRange{addr("2001:db8::"), addr("2001:db8::ff")}
	all6 := IPRange{addr("::"), addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}
	for _, tc := range []struct {
		r    IPRange
		a    netip.Addr
		want bool
	}{
		{v4, addr("10.0.0.5"), true},
		{v4, addr("10.0.0.9"), true},
		{v4, addr("10.0.0.4"), false},
		{v4, addr("10.0.0.10"), false},
		{v4, addr("::ffff:10.0.0.7"), true}, // mapped form of a member
		{v4, addr("::a00:7"), false},        // IPv4-compatible is not mapped
		{v6, addr("2001:db8::80"), true},
		{v6, addr("2001:db8::80%eth0"), true}, // zone ignored
		{v6, addr("2001:db8::100"), false},
		{all6, addr("10.0.0.1"), false},        // IPv6 entries never match IPv4 hosts
		{all6, addr("::ffff:10.0.0.1"), false}, // not even in mapped form
		{v4, netip.Addr{}, false},
		{IPRange{}, addr("10.0.0.1"), false},
	} {
		if got := tc.r.Contains(tc.a); got != tc.want {
			t.Errorf("%v.Contains(%v) = %v, want %v", tc.r, tc.a, got, tc.want)
		}
	}
}

func TestIPListContains(t *testing.T) {
	l := &IPList{
		Ranges:     []string{"10.0.0.0/24", "10.0.1.5-10.0.1.9", "2001:db8::/64"},
		Exclusions: []string{"10.0.0.128/25", "10.0.1.7", "2001:db8::1"},
	}
	for a, want := range map[string]bool{
		"10.0.0.1":        true,
		"10.0.0.127":      true,
		"10.0.0.128":      false, // excluded by prefix
		"10.0.1.6":        true,
		"10.0.1.7":        false, // excluded address
		"10.0.1.10":       false,
		"::ffff:10.0.0.2": true,
		"2001:db8::2":     true,
		"2001:db8::1":     false,
		"2001:db8:1::":    false,
		"10.0.2.1":        false,
	} {
		if got := l.Contains(addr(a)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", a, got, want)
		}
	}
	// An entry that does not parse fails the whole list closed: skipping a
	// bad exclusion would widen the list.
	for _, bad := range []*IPList{
		{Ranges: []string{"10.0.0.0/8"}, Exclusions: []string{"10.9.0.0/16 "}},
		{Ranges: []string{"10.0.0.0/8", "not an address"}},
		{Ranges: []string{"10.0.0.0/8"}, Exclusions: []string{"10.0.0.1/8"}},
	} {
		if bad.Contains(addr("10.9.0.5")) {
			t.Errorf("%+v contains 10.9.0.5: a list with a bad entry must match nothing", bad)
		}
	}
	if (&IPList{}).Contains(addr("10.0.0.1")) {
		t.Error("an empty list contains an address")
	}
}

// TestIPListContainsBruteForce checks Contains, and the prefixes Prefixes
// gives for a dataplane, against a brute-force model
// on random lists over small address spaces (64 IPv4 and 64 IPv6
// addresses), each entry written as an address, a prefix or a dash range,
// sometimes IPv4-mapped.
func TestIPListContainsBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 5))
	bases := []netip.Addr{addr("10.1.2.0"), addr("2001:db8::")}
	// at returns address i (0..63) of space s.
	at := func(s, i int) netip.Addr {
		b := bases[s].AsSlice()
		b[len(b)-1] += byte(i)
		a, _ := netip.AddrFromSlice(b)
		return a
	}
	// entry returns a random entry and the addresses (space, index) it holds.
	entry := func() (string, map[[2]int]bool) {
		s := rng.IntN(2)
		in := map[[2]int]bool{}
		show := func(a netip.Addr) string {
			if a.Is4() && rng.IntN(4) == 0 {
				return netip.AddrFrom16(a.As16()).String() // mapped form
			}
			return a.String()
		}
		switch rng.IntN(3) {
		case 0:
			i := rng.IntN(64)
			in[[2]int{s, i}] = true
			return show(at(s, i)), in
		case 1:
			size := 1 << rng.IntN(7) // 1..64
			lo := rng.IntN(64/size) * size
			for i := lo; i < lo+size; i++ {
				in[[2]int{s, i}] = true
			}
			plen := at(s, 0).BitLen()
			for n := size; n > 1; n >>= 1 {
				plen--
			}
			if s == 0 && rng.IntN(4) == 0 { // mapped prefix
				return fmt.Sprintf("::ffff:%s/%d", at(s, lo), plen+96), in
			}
			return fmt.Sprintf("%s/%d", at(s, lo), plen), in
		default:
			lo := rng.IntN(64)
			hi := lo + rng.IntN(64-lo)
			for i := lo; i <= hi; i++ {
				in[[2]int{s, i}] = true
			}
			return show(at(s, lo)) + "-" + show(at(s, hi)), in
		}
	}
	for iter := range 1000 {
		l := &IPList{}
		ranges, excl := map[[2]int]bool{}, map[[2]int]bool{}
		for range 1 + rng.IntN(4) {
			e, in := entry()
			l.Ranges = append(l.Ranges, e)
			for k := range in {
				ranges[k] = true
			}
		}
		for range rng.IntN(4) {
			e, in := entry()
			l.Exclusions = append(l.Exclusions, e)
			for k := range in {
				excl[k] = true
			}
		}
		if _, err := ValidateIPList(&IPList{Name: "x", Ranges: l.Ranges, Exclusions: l.Exclusions}); err != nil {
			t.Fatalf("iteration %d: generated list invalid: %v", iter, err)
		}
		prefixes, ok := l.Prefixes()
		if !ok {
			t.Fatalf("iteration %d: %+v: Prefixes failed", iter, l)
		}
		for s := range 2 {
			for i := range 64 {
				want := ranges[[2]int{s, i}] && !excl[[2]int{s, i}]
				a := at(s, i)
				if got := l.Contains(a); got != want {
					t.Fatalf("iteration %d: %+v Contains(%v) = %v, want %v", iter, l, a, got, want)
				}
				if got := slices.ContainsFunc(prefixes, func(p netip.Prefix) bool { return p.Contains(a) }); got != want {
					t.Fatalf("iteration %d: %+v Prefixes %v cover %v: %v, want %v", iter, l, prefixes, a, got, want)
				}
				if a.Is4() {
					if got := l.Contains(netip.AddrFrom16(a.As16())); got != want {
						t.Fatalf("iteration %d: %+v Contains(mapped %v) = %v, want %v", iter, l, a, got, want)
					}
				}
			}
		}
	}
}
