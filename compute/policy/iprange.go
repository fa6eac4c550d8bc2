package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// IPRange is an inclusive range of addresses of one family. Every IP list
// entry — an address, a prefix or a dash range — parses to one, so matching
// and coverage checks need only two comparisons.
//
// IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) are unmapped, in entries and
// in the addresses matched alike: an agent may report a host either way and
// it must be the same host. A range written in IPv6 therefore never matches
// an IPv4 host, even one whose mapped form it would cover.
type IPRange struct {
	From, To netip.Addr
}

// Contains reports whether a is in r. A zone on a is ignored: a zone names
// a link, not a different host.
func (r IPRange) Contains(a netip.Addr) bool {
	a = canonAddr(a)
	return a.IsValid() && r.From.IsValid() && a.BitLen() == r.From.BitLen() &&
		r.From.Compare(a) <= 0 && a.Compare(r.To) <= 0
}

// String formats r as ParseIPRange reads it back.
func (r IPRange) String() string {
	if r.From == r.To {
		return r.From.String()
	}
	return r.From.String() + "-" + r.To.String()
}

// ParseIPRange parses one IP list entry: "10.0.0.1", "10.0.0.0/8" or
// "10.0.0.1-10.0.0.9", IPv6 likewise. A prefix with host bits set is
// refused rather than masked: "10.0.0.1/8" is more likely a typo for a
// single host than a wish for all of 10/8. Zones are refused: policy names
// hosts, not links.
func ParseIPRange(s string) (IPRange, error) {
	switch {
	case strings.Contains(s, "%"):
		return IPRange{}, fmt.Errorf("invalid IP range %q: zones are not allowed", s)
	case strings.Contains(s, "/"):
		return parsePrefixRange(s)
	case strings.Contains(s, "-"):
		return parseDashRange(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return IPRange{}, fmt.Errorf("invalid IP address %q", s)
	}
	a = a.Unmap()
	return IPRange{a, a}, nil
}

func parsePrefixRange(s string) (IPRange, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return IPRange{}, fmt.Errorf("invalid prefix %q: must be an address and a prefix length, such as 10.0.0.0/8", s)
	}
	if m := p.Masked(); m != p {
		return IPRange{}, fmt.Errorf("invalid prefix %q: host bits set, did you mean %s", s, m)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return IPRange{p.Addr(), lastAddr(p)}, nil
}

func parseDashRange(s string) (IPRange, error) {
	lo, hi, _ := strings.Cut(s, "-")
	from, err1 := netip.ParseAddr(lo)
	to, err2 := netip.ParseAddr(hi)
	switch {
	case err1 != nil:
		return IPRange{}, fmt.Errorf("invalid IP range %q: %q is not an IP address", s, lo)
	case err2 != nil:
		return IPRange{}, fmt.Errorf("invalid IP range %q: %q is not an IP address", s, hi)
	}
	from, to = from.Unmap(), to.Unmap()
	switch {
	case from.BitLen() != to.BitLen():
		return IPRange{}, fmt.Errorf("invalid IP range %q: mixes IPv4 and IPv6", s)
	case from.Compare(to) > 0:
		return IPRange{}, fmt.Errorf("invalid IP range %q: starts after it ends", s)
	}
	return IPRange{from, to}, nil
}

// lastAddr returns the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// canonAddr is the form addresses are compared in: unmapped, zone dropped.
func canonAddr(a netip.Addr) netip.Addr { return a.Unmap().WithZone("") }

// Contains reports whether ip is in one of l's ranges and in none of its
// exclusions. A list with an entry that does not parse matches nothing
// (validation refuses such entries before they get here): skipping a bad
// exclusion would widen the list, so the whole list fails closed.
func (l *IPList) Contains(ip netip.Addr) bool { return compileIPList(l).contains(ip) }

// ipSet is an IP list parsed once, for matching many addresses.
type ipSet struct {
	ranges, exclusions []IPRange
	ok                 bool // every entry parsed
}

func compileIPList(l *IPList) ipSet {
	s := ipSet{ok: true}
	parse := func(entries []string) []IPRange {
		out := make([]IPRange, 0, len(entries))
		for _, e := range entries {
			r, err := ParseIPRange(e)
			if err != nil {
				s.ok = false
				continue
			}
			out = append(out, r)
		}
		return mergeRanges(out)
	}
	s.ranges, s.exclusions = parse(l.Ranges), parse(l.Exclusions)
	return s
}

func (s ipSet) contains(ip netip.Addr) bool {
	if !s.ok {
		return false
	}
	r := IPRange{From: canonAddr(ip), To: canonAddr(ip)}
	return coveredBy(r, s.ranges) && !coveredBy(r, s.exclusions)
}

// mergeRanges returns rs as sorted, disjoint, non-adjacent ranges: the
// same addresses, in a form where "is r covered" is one lookup.
func mergeRanges(rs []IPRange) []IPRange {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b IPRange) int { return a.From.Compare(b.From) })
	var out []IPRange
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].touches(r) {
			if r.To.Compare(out[n-1].To) > 0 {
				out[n-1].To = r.To
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// touches reports whether b, which starts no earlier than a, overlaps a or
// starts right after it.
func (a IPRange) touches(b IPRange) bool {
	if a.From.BitLen() != b.From.BitLen() {
		return false
	}
	next := a.To.Next()
	return !next.IsValid() || b.From.Compare(next) <= 0
}

// coveredBy reports whether every address of r is in merged, a result of
// mergeRanges: since merged ranges neither overlap nor touch, r is covered
// only if one of them holds it whole.
func coveredBy(r IPRange, merged []IPRange) bool {
	i, _ := slices.BinarySearchFunc(merged, r.From, func(m IPRange, a netip.Addr) int {
		if m.To.Compare(a) < 0 {
			return -1
		}
		return 1
	})
	return i < len(merged) && merged[i].Contains(r.From) && merged[i].Contains(r.To)
}

// Prefixes returns the addresses of l (its ranges minus its exclusions) as
// the fewest prefixes that cover them exactly, for a dataplane that
// matches prefixes. ok is false when an entry does not parse: the list
// then matches nothing, as Contains has it.
func (l *IPList) Prefixes() (ps []netip.Prefix, ok bool) {
	s := compileIPList(l)
	if !s.ok {
		return nil, false
	}
	for _, r := range subtract(s.ranges, s.exclusions) {
		ps = appendRangePrefixes(ps, r.From, r.To)
	}
	return ps, true
}

// subtract returns the addresses of in that are in no range of ex; both
// are merged (sorted, disjoint).
func subtract(in, ex []IPRange) []IPRange {
	var out []IPRange
	for _, r := range in {
		cur := r
		keep := true
		for _, x := range ex {
			if x.From.BitLen() != cur.From.BitLen() || x.To.Compare(cur.From) < 0 || x.From.Compare(cur.To) > 0 {
				continue
			}
			if x.From.Compare(cur.From) > 0 {
				out = append(out, IPRange{From: cur.From, To: x.From.Prev()})
			}
			if x.To.Compare(cur.To) >= 0 {
				keep = false
				break
			}
			cur.From = x.To.Next()
		}
		if keep {
			out = append(out, cur)
		}
	}
	return out
}

// appendRangePrefixes appends the fewest prefixes that cover from..to
// exactly: at each step the largest aligned block starting at from that
// does not pass to.
func appendRangePrefixes(out []netip.Prefix, from, to netip.Addr) []netip.Prefix {
	bits := from.BitLen()
	for {
		size := bits
		for size > 0 {
			p := netip.PrefixFrom(from, size-1).Masked()
			if p.Addr() != from || lastAddr(p).Compare(to) > 0 {
				break
			}
			size--
		}
		p := netip.PrefixFrom(from, size)
		out = append(out, p)
		last := lastAddr(p)
		if last.Compare(to) >= 0 {
			return out
		}
		from = last.Next()
	}
}
