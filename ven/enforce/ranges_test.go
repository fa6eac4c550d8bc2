package enforce

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func rng(from, to string) addrRange {
	return addrRange{From: netip.MustParseAddr(from), To: netip.MustParseAddr(to)}
}

func prefixes(ps ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

func TestFamilyRanges(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []netip.Prefix
		v4   bool
		want []addrRange
	}{
		{"single address", prefixes("10.0.0.1/32"), true, []addrRange{rng("10.0.0.1", "10.0.0.1")}},
		{"host bits ignored", prefixes("10.0.0.5/30"), true, []addrRange{rng("10.0.0.4", "10.0.0.7")}},
		{"adjacent merge", prefixes("10.0.0.2/31", "10.0.0.0/31", "10.0.0.4/32"), true, []addrRange{rng("10.0.0.0", "10.0.0.4")}},
		{"contained", prefixes("10.0.0.0/24", "10.0.0.7/32", "10.0.1.0/32"), true, []addrRange{rng("10.0.0.0", "10.0.1.0")}},
		{"gap kept", prefixes("10.0.0.0/32", "10.0.0.2/32"), true, []addrRange{rng("10.0.0.0", "10.0.0.0"), rng("10.0.0.2", "10.0.0.2")}},
		{"top of space", prefixes("255.255.255.254/31", "255.255.255.255/32", "0.0.0.0/32"), true,
			[]addrRange{rng("0.0.0.0", "0.0.0.0"), rng("255.255.255.254", "255.255.255.255")}},
		{"everything", prefixes("0.0.0.0/0", "10.0.0.0/8"), true, []addrRange{rng("0.0.0.0", "255.255.255.255")}},
		{"families apart", prefixes("10.0.0.0/8", "fd00::/64", "fd00::1/128", "fd00:0:0:1::/64"), false,
			[]addrRange{rng("fd00::", "fd00:0:0:1:ffff:ffff:ffff:ffff")}},
		{"v6 top", prefixes("::/0"), false, []addrRange{rng("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}},
		{"none of the family", prefixes("fd00::/8"), true, nil},
	} {
		if got := familyRanges(tc.in, tc.v4); !slices.Equal(got, tc.want) {
			t.Errorf("%s: familyRanges(%v, v4=%v) = %v, want %v", tc.name, tc.in, tc.v4, got, tc.want)
		}
	}
}

// TestFamilyRangesCover checks on random prefixes that the ranges contain
// exactly the addresses the prefixes contain, and are sorted, disjoint and
// not adjacent.
func TestFamilyRangesCover(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for range 500 {
		var ps []netip.Prefix
		for range r.IntN(8) {
			a := netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(2)), byte(r.IntN(256))})
			ps = append(ps, netip.PrefixFrom(a, 22+r.IntN(11)))
		}
		rs := familyRanges(ps, true)
		for i := 1; i < len(rs); i++ {
			if rs[i-1].To.Next().Compare(rs[i].From) >= 0 {
				t.Fatalf("ranges %v overlap or touch at %d (prefixes %v)", rs, i, ps)
			}
		}
		for x := range 3 * 256 {
			a := netip.AddrFrom4([4]byte{10, 0, byte(x / 256), byte(x)})
			inP := slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(a) })
			inR := slices.ContainsFunc(rs, func(ar addrRange) bool { return ar.contains(a) })
			if inP != inR {
				t.Fatalf("%s: in prefixes %v, in ranges %v (prefixes %v, ranges %v)", a, inP, inR, ps, rs)
			}
		}
	}
}

// TestDiffRanges checks that removing and adding the difference turns old
// into new, and that an unchanged range is never touched.
func TestDiffRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	randRanges := func() []addrRange {
		var ps []netip.Prefix
		for range r.IntN(6) {
			ps = append(ps, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(r.IntN(64))}), 28+r.IntN(5)))
		}
		return familyRanges(ps, true)
	}
	for range 1000 {
		old, new := randRanges(), randRanges()
		removed, added := diffRanges(old, new)
		got := slices.DeleteFunc(slices.Clone(old), func(x addrRange) bool { return slices.Contains(removed, x) })
		got = append(got, added...)
		slices.SortFunc(got, compareRange)
		if !slices.Equal(got, new) {
			t.Fatalf("old %v - %v + %v = %v, want %v", old, removed, added, got, new)
		}
		for _, x := range removed {
			if slices.Contains(new, x) || slices.Contains(added, x) {
				t.Fatalf("range %v both kept and removed (old %v, new %v)", x, old, new)
			}
		}
	}
}

func TestElements(t *testing.T) {
	els := elements([]addrRange{rng("10.0.0.0", "10.0.0.255"), rng("255.255.255.0", "255.255.255.255")})
	type el struct {
		key string
		end bool
	}
	var got []el
	for _, e := range els {
		a, _ := netip.AddrFromSlice(e.Key)
		got = append(got, el{a.String(), e.IntervalEnd})
	}
	want := []el{{"10.0.0.0", false}, {"10.0.1.0", true}, {"255.255.255.0", false}} // open to the top
	if !slices.Equal(got, want) {
		t.Errorf("elements = %v, want %v", got, want)
	}
}

func TestSetName(t *testing.T) {
	for _, tc := range []struct {
		id   string
		v4   bool
		want string
	}{
		{"12", true, "s12_v4"},
		{"s0a1b2c3d4e5f60718293", false, "ss0a1b2c3d4e5f60718293_v6"},
	} {
		if got := setName(tc.id, tc.v4); got != tc.want {
			t.Errorf("setName(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
	odd := []string{"a-b", "a_b", "a b", "a.b", strings.Repeat("x", 300), "é"}
	seen := map[string]string{}
	for _, id := range odd {
		n := setName(id, true)
		if len(n) > 80 || strings.ContainsFunc(n, func(r rune) bool { return !isNameRune(r) }) {
			t.Errorf("setName(%q) = %q: not a short plain identifier", id, n)
		}
		if other, dup := seen[n]; dup {
			t.Errorf("setName(%q) = setName(%q) = %q", id, other, n)
		}
		seen[n] = id
	}
}
