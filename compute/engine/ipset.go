package engine

import (
	"net/netip"
	"slices"

	"github.com/remora-sec/remora/compute/policy"
)

// listPrefixes returns the addresses of an IP list (its ranges minus its
// exclusions) as prefixes. A list with an entry that does not parse
// matches nothing, as policy.IPList.Contains has it: failing closed.
func listPrefixes(l *policy.IPList) []netip.Prefix {
	parse := func(entries []string) ([]policy.IPRange, bool) {
		out := make([]policy.IPRange, 0, len(entries))
		for _, e := range entries {
			r, err := policy.ParseIPRange(e)
			if err != nil {
				return nil, false
			}
			out = append(out, r)
		}
		return out, true
	}
	in, ok1 := parse(l.Ranges)
	ex, ok2 := parse(l.Exclusions)
	if !ok1 || !ok2 {
		return nil
	}
	var out []netip.Prefix
	for _, r := range subtract(merge(in), merge(ex)) {
		out = appendRangePrefixes(out, r.From, r.To)
	}
	return out
}

// merge sorts ranges and joins those that overlap or touch.
func merge(rs []policy.IPRange) []policy.IPRange {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b policy.IPRange) int { return a.From.Compare(b.From) })
	var out []policy.IPRange
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].From.BitLen() == r.From.BitLen() {
			next := out[n-1].To.Next()
			if !next.IsValid() || r.From.Compare(next) <= 0 {
				if r.To.Compare(out[n-1].To) > 0 {
					out[n-1].To = r.To
				}
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// subtract returns the addresses of in that are in no range of ex; both
// are merged (sorted, disjoint).
func subtract(in, ex []policy.IPRange) []policy.IPRange {
	var out []policy.IPRange
	for _, r := range in {
		cur := r
		keep := true
		for _, x := range ex {
			if x.From.BitLen() != cur.From.BitLen() || x.To.Compare(cur.From) < 0 || x.From.Compare(cur.To) > 0 {
				continue
			}
			if x.From.Compare(cur.From) > 0 {
				out = append(out, policy.IPRange{From: cur.From, To: x.From.Prev()})
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

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
