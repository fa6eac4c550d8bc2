package enforce

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/remora-sec/remora/ven/wire"
)

// env is a pair of namespaces with services and an Enforcer programming
// the server.
type env struct {
	*pair
	srv, cli *services
	e        *Enforcer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	needRoot(t)
	p := newPair(t)
	e, err := New(testConfig(p.server))
	if err != nil {
		t.Fatal(err)
	}
	v := &env{pair: p, e: e}
	v.srv, v.cli = p.serve(t)
	return v
}

func (v *env) apply(t *testing.T, d *wire.Document, want Action) Applied {
	t.Helper()
	a, err := v.e.Apply(d)
	if err != nil {
		t.Fatal(err)
	}
	if a.Action != want {
		t.Fatalf("Apply: %+v, want action %s", a, want)
	}
	return a
}

// reach checks which probes get through: want[i] for ps[i].
func (v *env) reach(t *testing.T, ps []probe, want []bool) {
	t.Helper()
	got := exchangeAll(t, v.srv, v.cli, ps)
	for i := range ps {
		if got[i] != want[i] {
			t.Errorf("%v: got through %v, want %v", ps[i], got[i], want[i])
		}
	}
}

var handleRE = regexp.MustCompile(`# handle (\d+)`)

// ruleHandles lists the handles of the rules of a chain: a rebuilt chain
// gets new ones.
func ruleHandles(t *testing.T, ns *netns, chain string) []string {
	t.Helper()
	var hs []string
	for _, m := range handleRE.FindAllStringSubmatch(ns.nft(t, "-a", "list", "chain", "inet", "remora", chain), -1) {
		hs = append(hs, m[1])
	}
	return hs
}

func clientsDoc(members ...string) *wire.Document {
	return doc(modeFull, false, []wire.Set{set("clients", members...)}, tcp(in, al, "clients", 80, 80))
}

var clientProbes = []probe{
	{proto: "tcp", from: cli4, port: 80},
	{proto: "tcp", from: cliOther4, port: 80},
	{proto: "tcp", from: cli6, port: 80},
	{proto: "tcp", from: cliOther6, port: 80},
}

// TestSetsOnlyUpdate: a document that changes only set members updates
// the elements in place (same rule handles, the kernel shows the new
// members, traffic follows); one that empties a family changes the rules
// and is applied in full.
func TestSetsOnlyUpdate(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.apply(t, clientsDoc(cli4, cli6), Full)
	v.reach(t, clientProbes, []bool{true, false, true, false})
	handles := ruleHandles(t, v.server, "input")

	a := v.apply(t, clientsDoc(cliOther4, cli6), SetsOnly)
	if a.Added != 1 || a.Removed != 1 {
		t.Errorf("swap one v4 member: added %d, removed %d; want 1 and 1", a.Added, a.Removed)
	}
	v.reach(t, clientProbes, []bool{false, true, true, false})
	if got := v.server.nft(t, "list", "set", "inet", "remora", "sclients_v4"); !strings.Contains(got, cliOther4) || strings.Contains(got, cli4+" ") || strings.Contains(got, cli4+"\n") {
		t.Errorf("set after update:\n%s\nwant %s and not %s", got, cliOther4, cli4)
	}
	if got := ruleHandles(t, v.server, "input"); !slices.Equal(got, handles) {
		t.Errorf("rule handles changed by a set update: %v, then %v", handles, got)
	}

	// fd77::2 and fd77::3 merge into one interval: one removed, one added.
	a = v.apply(t, clientsDoc(cliOther4, cli6, cliOther6), SetsOnly)
	if a.Added != 1 || a.Removed != 1 {
		t.Errorf("merge two v6 members: added %d, removed %d; want 1 and 1", a.Added, a.Removed)
	}
	v.reach(t, clientProbes, []bool{false, true, true, true})
	if got := v.server.nft(t, "list", "set", "inet", "remora", "sclients_v6"); !strings.Contains(got, "fd77::2/127") {
		t.Errorf("v6 set after update:\n%s\nwant fd77::2/127", got)
	}

	// No v6 member left: the v6 rule goes, which is a full apply.
	v.apply(t, clientsDoc(cliOther4), Full)
	v.reach(t, clientProbes, []bool{false, true, false, false})
	if got := ruleHandles(t, v.server, "input"); slices.Equal(got, handles) {
		t.Errorf("rule handles unchanged by a full apply: %v", got)
	}
}

// TestSkipped: the same document (even at another generation) sends
// nothing; but if the table was deleted meanwhile, it is rebuilt.
func TestSkipped(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	d := clientsDoc(cli4)
	v.apply(t, d, Full)
	again := *d
	again.Generation++
	v.apply(t, &again, Skipped)
	v.server.nft(t, "delete", "table", "inet", "remora")
	if a := v.apply(t, &again, Full); !a.Repaired {
		t.Errorf("Apply over a deleted table: %+v, want Repaired", a)
	}
	v.reach(t, clientProbes[:2], []bool{true, false})
}

// TestIdle: idle removes the table, and stays skipped while it is absent.
func TestIdle(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.apply(t, clientsDoc(cli4), Full)
	v.reach(t, clientProbes[:2], []bool{true, false})
	idle := doc(modeIdle, true, nil)
	v.apply(t, idle, Removed)
	if out := v.server.nft(t, "list", "tables"); out != "" {
		t.Errorf("tables after idle:\n%s", out)
	}
	v.reach(t, clientProbes[:2], []bool{true, true})
	v.apply(t, idle, Skipped)
	c, err := v.e.Counters()
	if err != nil || c.Dropped != 0 || len(c.Rules) != 0 {
		t.Errorf("Counters with no table = %+v, %v; want zero", c, err)
	}
}

// TestRemove: closed keeps only loopback, established and the
// exemptions, both ways; open deletes the table.
func TestRemove(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.apply(t, doc(modeFull, true, nil, tcp(in, al, "", 0, 0), tcp(out, al, "", 0, 0)), Full)
	ps := []probe{
		{proto: "tcp", from: cli4, port: 80},
		{out: true, proto: "tcp", from: cli6, port: 80},
		{proto: "tcp", from: cliTun, port: 80},
		{proto: "udp", from: cli4, port: 53, sport: 51820},
		{out: true, proto: "udp", from: cli4, port: 51820},
		{out: true, proto: "udp", from: cli4, port: 53},
	}
	v.reach(t, ps, []bool{true, true, true, true, true, false})
	if err := v.e.Remove("closed"); err != nil {
		t.Fatal(err)
	}
	v.reach(t, ps, []bool{false, false, true, true, true, false})
	loop := func() bool {
		var ok bool
		if err := v.server.do(func() (err error) { ok, err = tcpProbe("127.0.0.1", "127.0.0.1", 80); return err }); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !loop() {
		t.Error("closed: loopback blocked")
	}
	if tampered, err := v.e.Check(); tampered || err != nil {
		t.Errorf("Check after Remove(closed) = %v, %v; want false, nil", tampered, err)
	}
	if err := v.e.Remove("open"); err != nil {
		t.Fatal(err)
	}
	if out := v.server.nft(t, "list", "tables"); out != "" {
		t.Errorf("tables after Remove(open):\n%s", out)
	}
	v.reach(t, ps, []bool{true, true, true, true, true, true})
	if err := v.e.Remove("ajar"); err == nil {
		t.Error(`Remove("ajar") = nil, want an error`)
	}
}

// TestCheck: Check notices a deleted table, a flushed chain, an added rule
// and a flushed ruleset, restores the last document each time, and is
// quiet otherwise. A flushed chain fails closed meanwhile: its policy is
// the default's drop.
func TestCheck(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	if tampered, err := v.e.Check(); tampered || err != nil {
		t.Fatalf("Check before any Apply = %v, %v; want false, nil", tampered, err)
	}
	v.apply(t, clientsDoc(cli4), Full)
	for _, tc := range []struct {
		tamper []string
		reach  []bool // before Check
	}{
		{[]string{"delete", "table", "inet", "remora"}, []bool{true, true}},
		{[]string{"flush", "chain", "inet", "remora", "input"}, []bool{false, false}},
		{[]string{"add", "rule", "inet", "remora", "input", "tcp", "dport", "80", "accept"}, []bool{true, false}},
		{[]string{"flush", "ruleset"}, []bool{true, true}},
	} {
		tamper := tc.tamper
		v.server.nft(t, tamper...)
		v.reach(t, clientProbes[:2], tc.reach)
		tampered, err := v.e.Check()
		if err != nil || !tampered {
			t.Fatalf("Check after nft %s = %v, %v; want true, nil", strings.Join(tamper, " "), tampered, err)
		}
		v.reach(t, clientProbes[:2], []bool{true, false})
		if tampered, err := v.e.Check(); tampered || err != nil {
			t.Fatalf("Check after restore = %v, %v; want false, nil", tampered, err)
		}
	}
}

// TestApplyRefusesBadDocument: a bad document changes nothing.
func TestApplyRefusesBadDocument(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.apply(t, clientsDoc(cli4), Full)
	before := v.server.nft(t, "-s", "list", "ruleset") // stateless: counters move
	bad := clientsDoc(cli4)
	bad.Rules[0].Set = "missing"
	if _, err := v.e.Apply(bad); err == nil || !strings.Contains(err.Error(), "apply document") {
		t.Fatalf("Apply(bad) = %v, want an apply document error", err)
	}
	if after := v.server.nft(t, "-s", "list", "ruleset"); after != before {
		t.Errorf("ruleset changed by a refused document:\n%s\nthen\n%s", before, after)
	}
	v.apply(t, clientsDoc(cli4), Skipped)
}

// TestExemptIPv6Endpoint: a PCE endpoint reached over IPv6 is exempt both
// ways, and only on its port.
func TestExemptIPv6Endpoint(t *testing.T) {
	needRoot(t)
	t.Parallel()
	p := newPair(t)
	cfg := testConfig(p.server)
	cfg.Exempt.PCEEndpoint = netip.AddrPortFrom(netip.MustParseAddr(cli6), 51820)
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v := &env{pair: p, e: e}
	v.srv, v.cli = p.serve(t)
	v.apply(t, doc(modeFull, true, nil), Full)
	v.reach(t, []probe{
		{proto: "udp", from: cli6, port: 53, sport: 51820},
		{out: true, proto: "udp", from: cli6, port: 51820},
		{out: true, proto: "udp", from: cli6, port: 53},
		{proto: "udp", from: cli6, port: 53},
	}, []bool{true, true, false, false})
}

// TestSetsOnlyRepairs: when the live set is not what the shadow says (an
// element deleted by hand), the kernel refuses the update as a whole and
// Apply rebuilds the table from the document instead.
func TestSetsOnlyRepairs(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.apply(t, clientsDoc(cli4, cli6), Full)
	v.server.nft(t, "delete", "element", "inet", "remora", "sclients_v4", "{", cli4, "}")
	v.reach(t, clientProbes[:2], []bool{false, false})
	if a := v.apply(t, clientsDoc(cliOther4, cli6), Full); !a.Repaired {
		t.Errorf("Apply over a hand-edited set: %+v, want Repaired", a)
	}
	v.reach(t, clientProbes, []bool{false, true, true, false})
}
