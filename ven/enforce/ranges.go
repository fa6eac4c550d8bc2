package enforce

import (
	"net/netip"
	"slices"

	"github.com/google/nftables"
)

// addrRange is an inclusive range of addresses of one family: what an
// interval-set element pair stands for.
type addrRange struct {
	From, To netip.Addr
}

// contains reports whether a is in r; a and r must be of the same family.
func (r addrRange) contains(a netip.Addr) bool {
	return r.From.Compare(a) <= 0 && a.Compare(r.To) <= 0
}

// prefixRange is the range a prefix covers; host bits are ignored, as
// netip.Prefix.Contains (and so wire.Document.Match) ignores them.
func prefixRange(p netip.Prefix) addrRange {
	p = p.Masked()
	b := p.Addr().As16()
	off := 0
	if p.Addr().Is4() {
		off = 12 // the IPv4 address is in the last 4 bytes of As16
	}
	for i := off*8 + p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	last := netip.AddrFrom16(b)
	if p.Addr().Is4() {
		last = last.Unmap()
	}
	return addrRange{From: p.Addr(), To: last}
}

// familyRanges returns the disjoint, sorted ranges covering the prefixes of
// one family. Overlapping and adjacent ranges are merged, because the
// kernel refuses overlapping intervals in a set without auto-merge and
// adjacent ones would put an interval end and start on the same key.
func familyRanges(ps []netip.Prefix, v4 bool) []addrRange {
	var rs []addrRange
	for _, p := range ps {
		if p.Addr().Is4() == v4 {
			rs = append(rs, prefixRange(p))
		}
	}
	slices.SortFunc(rs, func(a, b addrRange) int { return a.From.Compare(b.From) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			next := last.To.Next() // invalid when last ends at the family's top
			if !next.IsValid() || r.From.Compare(next) <= 0 {
				if r.To.Compare(last.To) > 0 {
					last.To = r.To
				}
				continue
			}
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

// diffRanges returns the ranges of old missing from new (to remove) and of
// new missing from old (to add). Both inputs are sorted and disjoint; a
// range that changed at all is removed and re-added whole, so the kernel
// never sees a half-interval in between.
func diffRanges(old, new []addrRange) (removed, added []addrRange) {
	i, j := 0, 0
	for i < len(old) || j < len(new) {
		switch {
		case j == len(new) || i < len(old) && compareRange(old[i], new[j]) < 0:
			removed = append(removed, old[i])
			i++
		case i == len(old) || compareRange(old[i], new[j]) > 0:
			added = append(added, new[j])
			j++
		default:
			i++
			j++
		}
	}
	return removed, added
}

func compareRange(a, b addrRange) int {
	if c := a.From.Compare(b.From); c != 0 {
		return c
	}
	return a.To.Compare(b.To)
}

// elements encodes ranges as interval-set elements: the first address,
// then the address after the last flagged as the interval's end. A range
// reaching the family's last address has no end element; the kernel reads
// it as open to the top, as nft itself writes it.
func elements(rs []addrRange) []nftables.SetElement {
	out := make([]nftables.SetElement, 0, 2*len(rs))
	for _, r := range rs {
		out = append(out, nftables.SetElement{Key: r.From.AsSlice()})
		if end := r.To.Next(); end.IsValid() {
			out = append(out, nftables.SetElement{Key: end.AsSlice(), IntervalEnd: true})
		}
	}
	return out
}
