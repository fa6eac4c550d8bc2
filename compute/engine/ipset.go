package engine

import (
	"net/netip"

	"github.com/remora-sec/remora/compute/policy"
)

// listPrefixes returns the addresses of an IP list as prefixes; a list
// with an entry that does not parse matches nothing (fails closed).
func listPrefixes(l *policy.IPList) []netip.Prefix {
	ps, _ := l.Prefixes()
	return ps
}
