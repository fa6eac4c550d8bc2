package engine

import (
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/ven/wire"
)

// verdict is what mode makes of a flow decided by reason: the mapping of
// ARCHITECTURE.md that policy.Decide applies too.
func verdict(mode policy.Mode, reason policy.Reason) policy.Verdict {
	fullBlocks := reason != policy.ByAllow
	switch mode {
	case policy.Full:
		if fullBlocks {
			return policy.Blocked
		}
	case policy.Selective:
		if reason == policy.ByDefault {
			return policy.PotentiallyBlocked
		}
		if fullBlocks {
			return policy.Blocked
		}
	case policy.VisibilityOnly:
		if fullBlocks {
			return policy.PotentiallyBlocked
		}
	}
	return policy.Allowed
}

var strictness = map[policy.Verdict]int{policy.Allowed: 0, policy.PotentiallyBlocked: 1, policy.Blocked: 2}

func reasonOf(c wire.Class) policy.Reason {
	if c == "" {
		return policy.ByDefault
	}
	return policy.Reason(c)
}

func packet(f policy.Flow, peer netip.Addr) wire.Packet {
	return wire.Packet{Peer: peer, Proto: string(f.Proto), Port: f.Port, ICMPType: f.ICMPType, ICMPCode: f.ICMPCode}
}

// holders are the workloads holding address a.
func holders(ws []policy.Workload, a netip.Addr) []*policy.Workload {
	var out []*policy.Workload
	for i := range ws {
		for _, s := range ws[i].Interfaces[0].Addresses {
			if netip.MustParseAddr(s) == a {
				out = append(out, &ws[i])
				break
			}
		}
	}
	return out
}

// compiledDecide decides f from the compiled documents, as enforcement
// will: the destination's inbound rules and, with outbound enforcement,
// each source workload's outbound rules. ok is false for a flow the
// documents cannot be compared on (see the outbound case).
func compiledDecide(t *testing.T, e *Engine, ws []policy.Workload, f policy.Flow) (d policy.Decision, ok bool) {
	dst := e.Document(f.Destination, 1)
	if dst == nil {
		t.Fatalf("no document for %s", f.Destination)
	}
	class, hits := dst.Match(wire.Inbound, packet(f, f.Source.IP))
	d = policy.Decision{Reason: reasonOf(class), Mode: policy.Mode(dst.Mode), Rules: []policy.RuleRef{}}
	for _, h := range hits {
		d.Rules = append(d.Rules, policy.RuleRef{Ruleset: policy.RulesetID(h.Ruleset), Rule: policy.RuleID(h.RuleID)})
	}
	d.Verdict = verdict(d.Mode, d.Reason)
	if !dst.OutboundEnforcement {
		return d, true
	}
	// At the source's egress the peer is the destination's address, and
	// the source is the whole workload. That is the same question only when
	// the source address is one single-address workload's and the
	// destination's addresses are its own.
	src := holders(ws, f.Source.IP)
	for _, w := range src {
		if len(w.Interfaces[0].Addresses) != 1 {
			return d, false
		}
	}
	var dw *policy.Workload
	for i := range ws {
		if ws[i].ID == f.Destination {
			dw = &ws[i]
		}
	}
	if len(src) > 1 || len(dw.Interfaces[0].Addresses) == 0 {
		return d, false
	}
	for _, a := range dw.Interfaces[0].Addresses {
		if len(holders(ws, netip.MustParseAddr(a))) > 1 {
			return d, false
		}
	}
	for _, w := range src {
		doc := e.Document(w.ID, 1)
		c, _ := doc.Match(wire.Outbound, packet(f, netip.MustParseAddr(dw.Interfaces[0].Addresses[0])))
		if v := verdict(w.Mode, reasonOf(c)); strictness[v] > strictness[d.Verdict] {
			d.Verdict = v
		}
	}
	return d, true
}

func ruleSet(rs []policy.RuleRef) map[policy.RuleRef]bool {
	m := map[policy.RuleRef]bool{}
	for _, r := range rs {
		m[r] = true
	}
	return m
}

// TestCompiledMatchesReference: on random tenants and random flows, the
// verdict, the deciding class and the deciding rules read from the
// compiled documents equal the reference evaluator's.
func TestCompiledMatchesReference(t *testing.T) {
	const tenants, flows = 500, 40
	compared := 0
	reasons := map[policy.Reason]int{}
	verdicts := map[policy.Verdict]int{}
	for seed := range uint64(tenants) {
		g := &gen{r: rand.New(rand.NewPCG(seed, 7))}
		p := g.policy()
		if _, err := p.Validate(nil); err != nil {
			t.Fatalf("seed %d: generated policy is invalid: %v", seed, err)
		}
		ws := g.workloads(p, 10+g.r.IntN(30))
		e := New(p, ws)
		for range flows {
			f := g.flow(ws)
			want, err := policy.Decide(p, ws, f)
			if err != nil {
				t.Fatalf("seed %d: decide: %v", seed, err)
			}
			got, ok := compiledDecide(t, e, ws, f)
			if !ok {
				continue
			}
			compared++
			reasons[want.Reason]++
			verdicts[want.Verdict]++
			if got.Verdict != want.Verdict || got.Reason != want.Reason || !maps.Equal(ruleSet(got.Rules), ruleSet(want.Rules)) {
				t.Fatalf("seed %d, flow %+v (src %s):\ncompiled  %+v\nreference %+v", seed, f, f.Source.IP, got, want)
			}
		}
	}
	if compared < tenants*flows*3/4 {
		t.Errorf("only %d of %d flows compared", compared, tenants*flows)
	}
	// The generator must reach every outcome often, or agreement proves little.
	for _, r := range []policy.Reason{policy.ByOverrideDeny, policy.ByAllow, policy.ByDeny, policy.ByDefault} {
		if reasons[r] < compared/50 {
			t.Errorf("reason %s decided only %d of %d flows: %v", r, reasons[r], compared, reasons)
		}
	}
	for _, v := range []policy.Verdict{policy.Allowed, policy.Blocked, policy.PotentiallyBlocked} {
		if verdicts[v] < compared/50 {
			t.Errorf("verdict %s came only %d times of %d: %v", v, verdicts[v], compared, verdicts)
		}
	}
	t.Logf("%d flows compared: %v %v", compared, reasons, verdicts)
}

// TestDocumentsDeterministic: compiling the same tenant twice, with
// workloads and rulesets in another order, gives byte-equal documents, and
// Documents gives what Document does for each workload.
func TestDocumentsDeterministic(t *testing.T) {
	for seed := range uint64(50) {
		g := &gen{r: rand.New(rand.NewPCG(seed, 11))}
		p := g.policy()
		ws := g.workloads(p, 20)
		a := New(p, ws)
		q := *p
		q.Rulesets = slices.Clone(p.Rulesets)
		slices.Reverse(q.Rulesets)
		rev := slices.Clone(ws)
		slices.Reverse(rev)
		b := New(&q, rev)
		all := a.Documents(3)
		if len(all) != len(ws) {
			t.Fatalf("seed %d: Documents gave %d documents for %d workloads", seed, len(all), len(ws))
		}
		for _, d := range all {
			if one := a.Document(policy.WorkloadID(d.Workload), 3); one.Hash != d.Hash {
				t.Fatalf("seed %d, workload %s: Documents and Document differ", seed, d.Workload)
			}
		}
		for _, w := range ws {
			if da, db := a.Document(w.ID, 3), b.Document(w.ID, 3); da.Hash != db.Hash {
				t.Fatalf("seed %d, workload %s: documents differ:\n%+v\n%+v", seed, w.ID, da, db)
			}
		}
	}
}
