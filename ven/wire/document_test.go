package wire

import (
	"net/netip"
	"testing"
)

// TestNormalizeCanonical: documents equal in meaning hash equal, whatever
// the order they were built in or whether an empty set is nil or empty;
// a change of content changes the hash; Generation does not.
func TestNormalizeCanonical(t *testing.T) {
	p := netip.MustParsePrefix
	build := func(sets []Set, rules []Rule, gen uint64) string {
		d := &Document{Workload: "w", Generation: gen, Mode: "full", Sets: sets, Rules: rules}
		d.Normalize()
		return d.Hash
	}
	r1 := Rule{Direction: Inbound, Class: Allow, Set: "a", Proto: "tcp", FromPort: 22, ToPort: 22}
	r2 := Rule{Direction: Inbound, Class: Deny, Set: "b", Proto: "any"}
	base := build([]Set{{ID: "a", Prefixes: []netip.Prefix{p("10.0.0.2/32"), p("10.0.0.1/32")}}, {ID: "b", Prefixes: []netip.Prefix{}}}, []Rule{r1, r2}, 1)
	for name, got := range map[string]string{
		"reordered":        build([]Set{{ID: "b"}, {ID: "a", Prefixes: []netip.Prefix{p("10.0.0.1/32"), p("10.0.0.2/32")}}}, []Rule{r2, r1}, 1),
		"other generation": build([]Set{{ID: "a", Prefixes: []netip.Prefix{p("10.0.0.1/32"), p("10.0.0.2/32")}}, {ID: "b", Prefixes: nil}}, []Rule{r1, r2, r1}, 9),
	} {
		if got != base {
			t.Errorf("%s: hash %s, want %s", name, got, base)
		}
	}
	changed := build([]Set{{ID: "a", Prefixes: []netip.Prefix{p("10.0.0.1/32")}}, {ID: "b"}}, []Rule{r1, r2}, 1)
	if changed == base {
		t.Error("a set member removed, the hash stayed")
	}
}
