package enforce

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/ven/wire"
)

// largeDocument has rules rules over 100 sets holding elements prefixes
// in all (a fifth of them IPv6), none adjacent, so each is an interval of
// its own: every set is programmed in both families and every rule twice.
func largeDocument(rules, elements int) *wire.Document {
	const nSets = 100
	d := &wire.Document{Workload: "big", Mode: modeFull, OutboundEnforcement: true}
	for s := range nSets {
		st := wire.Set{ID: fmt.Sprintf("s%03d", s)}
		for i := range elements / nSets {
			if (s+i)%5 == 0 {
				st.Prefixes = append(st.Prefixes, netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfd, 0, 0, byte(s), 14: byte(i >> 7), 15: byte(2 * i)}), 128))
			} else {
				st.Prefixes = append(st.Prefixes, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(s), byte(i >> 7), byte(2 * i)}), 32))
			}
		}
		d.Sets = append(d.Sets, st)
	}
	for i := range rules {
		dir := in
		if i%5 == 0 {
			dir = out
		}
		r := tcp(dir, wire.Classes[i%3], d.Sets[i%nSets].ID, 1000+i, 1000+i)
		r.RuleID = fmt.Sprint(i)
		d.Rules = append(d.Rules, r)
	}
	d.Normalize()
	return d
}

// withExtra returns d with one more member in its first set.
func withExtra(d *wire.Document) *wire.Document {
	c := *d
	c.Sets = append([]wire.Set(nil), d.Sets...)
	c.Sets[0].Prefixes = append(append([]netip.Prefix(nil), d.Sets[0].Prefixes...), netip.MustParsePrefix("192.0.2.1/32"))
	c.Normalize()
	return &c
}

// elementCount counts the elements nft lists in a set.
func elementCount(t testing.TB, ns *netns, set string) int {
	out := ns.nft(t, "list", "set", "inet", "remora", set)
	_, els, ok := strings.Cut(out, "elements = {")
	if !ok {
		return 0
	}
	els, _, _ = strings.Cut(els, "}")
	return strings.Count(els, ",") + 1
}

// TestLargeDocument applies 1,000 rules over 10,000 prefixes (messages
// split, socket buffers sized), then a one-element update, and checks the
// kernel holds every element.
func TestLargeDocument(t *testing.T) {
	needRoot(t)
	t.Parallel()
	ns := newNetNS(t, "s")
	e, err := New(Config{NetNS: ns.fd})
	if err != nil {
		t.Fatal(err)
	}
	d := largeDocument(1000, 10000)
	a, err := e.Apply(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("full apply: %+v", a)
	if a.Action != Full || a.Rules < 2000 {
		t.Fatalf("Apply: %+v, want Full with at least 2,000 rules", a)
	}
	if n := elementCount(t, ns, "ss000_v4"); n != 80 {
		t.Errorf("ss000_v4 holds %d elements, want 80", n)
	}
	a, err = e.Apply(withExtra(d))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("one-element update: %+v", a)
	if a.Action != SetsOnly || a.Added != 1 || a.Removed != 0 {
		t.Fatalf("Apply(+1 element): %+v, want SetsOnly adding 1", a)
	}
	if n := elementCount(t, ns, "ss000_v4"); n != 81 {
		t.Errorf("ss000_v4 holds %d elements after the update, want 81", n)
	}
	if tampered, err := e.Check(); tampered || err != nil {
		t.Errorf("Check = %v, %v; want false, nil", tampered, err)
	}
}

// BenchmarkApplyFull replaces a table of 1,000 document rules (2,000
// nftables rules) and 10,000 set elements: two documents differing in one
// rule's port alternate, so every Apply is a full one.
func BenchmarkApplyFull(b *testing.B) {
	needRoot(b)
	ns := newNetNS(b, "s")
	e, err := New(Config{NetNS: ns.fd})
	if err != nil {
		b.Fatal(err)
	}
	a := largeDocument(1000, 10000)
	c := largeDocument(1000, 10000)
	c.Rules[0].FromPort, c.Rules[0].ToPort = 999, 999
	c.Normalize()
	docs := []*wire.Document{a, c}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		got, err := e.Apply(docs[i%2])
		if err != nil || got.Action != Full {
			b.Fatalf("Apply: %+v, %v; want Full", got, err)
		}
		i++
	}
}

// BenchmarkApplySetDelta adds and removes one element of a set in the same
// table: every Apply is a one-element set update. Besides the mean it
// reports the kernel's share (Applied.Program) of adds and of removes
// apart: a commit that deletes set elements waits for an RCU grace period
// (about 10 ms here, the same with the nft command), one that adds does not.
func BenchmarkApplySetDelta(b *testing.B) {
	needRoot(b)
	ns := newNetNS(b, "s")
	e, err := New(Config{NetNS: ns.fd})
	if err != nil {
		b.Fatal(err)
	}
	a := largeDocument(1000, 10000)
	docs := []*wire.Document{withExtra(a), a}
	if _, err := e.Apply(a); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var kernel [2]time.Duration // adds, removes
	i := 0
	for b.Loop() {
		got, err := e.Apply(docs[i%2])
		if err != nil || got.Action != SetsOnly || got.Added+got.Removed != 1 {
			b.Fatalf("Apply: %+v, %v; want SetsOnly changing 1 element", got, err)
		}
		kernel[i%2] += got.Program
		i++
	}
	if n := float64(i / 2); n > 0 {
		b.ReportMetric(float64(kernel[0].Nanoseconds())/n, "kernel-ns/add")
		b.ReportMetric(float64(kernel[1].Nanoseconds())/n, "kernel-ns/remove")
	}
}
