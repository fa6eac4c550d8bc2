package policy

import (
	"errors"
	"fmt"
	"net/netip"
)

// Decide answers what happens to flow f under p, given the tenant's
// workloads ws: the ARCHITECTURE.md decision rule applied literally, rule by
// rule. It is the oracle the compiler is checked against, so it resolves
// everything afresh on each call and favours being obviously right over
// being fast.
//
// It errors, rather than guess, when the flow is malformed or names a
// workload that is not in ws, or a workload whose mode it must apply is
// unknown. Policy content is taken as it is: a missing referenced object,
// or an actor, term or action that validation would refuse, matches
// nothing, so a dangling reference can never widen a rule.
//
// Decision.Rules is never nil (it encodes as [] for a default decision).
func Decide(p *Policy, ws []Workload, f Flow) (Decision, error) {
	return NewEvaluator(p, ws).Decide(f)
}

// Evaluator decides many flows against one policy and set of workloads. It
// indexes the policy's objects and parses each IP list once, and is
// otherwise Decide: every flow still walks every rule. Not safe for
// concurrent use; p and ws must not change while it is in use.
type Evaluator struct {
	p  *Policy
	ws []Workload
	ix *index
}

// NewEvaluator returns an Evaluator over p and ws.
func NewEvaluator(p *Policy, ws []Workload) *Evaluator {
	return &Evaluator{p: p, ws: ws, ix: p.index(nil)}
}

// Decide is the package's Decide for flow f.
func (e *Evaluator) Decide(f Flow) (Decision, error) {
	p, ws := e.p, e.ws
	if err := checkFlow(f); err != nil {
		return Decision{}, fmt.Errorf("decide: %w", err)
	}
	dst := findWorkload(ws, f.Destination)
	if dst == nil {
		return Decision{}, fmt.Errorf("decide: destination workload %q is not among the %d workloads given", f.Destination, len(ws))
	}
	src, err := resolveSource(ws, f.Source)
	if err != nil {
		return Decision{}, fmt.Errorf("decide: %w", err)
	}

	ix := e.ix
	matched := make(map[Reason][]RuleRef)
	for i := range p.Rulesets {
		rs := &p.Rulesets[i]
		for j := range rs.Rules {
			r := &rs.Rules[j]
			if reason, ok := actionReason[r.Action]; ok && ruleMatches(ix, rs, r, dst, src, f) {
				matched[reason] = append(matched[reason], RuleRef{rs.ID, r.ID})
			}
		}
	}
	d := Decision{Reason: ByDefault, Rules: []RuleRef{}, Mode: dst.Mode}
	for _, reason := range []Reason{ByOverrideDeny, ByAllow, ByDeny} {
		if len(matched[reason]) > 0 {
			d.Reason, d.Rules = reason, matched[reason]
			break
		}
	}

	if d.Verdict, err = verdict(dst, d.Reason); err != nil {
		return Decision{}, err
	}
	if p.Settings.OutboundEnforcement {
		for _, w := range src.workloads {
			v, err := verdict(w, d.Reason)
			if err != nil {
				return Decision{}, err
			}
			if strictness[v] > strictness[d.Verdict] {
				d.Verdict = v
			}
		}
	}
	return d, nil
}

// actionReason maps each valid action to the precedence class it feeds.
var actionReason = map[Action]Reason{OverrideDeny: ByOverrideDeny, Allow: ByAllow, Deny: ByDeny}

// strictness orders verdicts, for taking the stricter of two.
var strictness = map[Verdict]int{Allowed: 0, PotentiallyBlocked: 1, Blocked: 2}

// verdict is what w's enforcement mode makes of a flow decided by reason.
// Full enforces everything; selective enforces deny rules but lets what
// no rule covers pass (reporting it); visibility_only enforces nothing and
// reports what full would block; idle neither enforces nor reports.
func verdict(w *Workload, reason Reason) (Verdict, error) {
	blockedUnderFull := reason != ByAllow
	switch w.Mode {
	case Full:
		if blockedUnderFull {
			return Blocked, nil
		}
	case Selective:
		if reason == ByDefault {
			return PotentiallyBlocked, nil
		}
		if blockedUnderFull {
			return Blocked, nil
		}
	case VisibilityOnly:
		if blockedUnderFull {
			return PotentiallyBlocked, nil
		}
	case Idle:
	default:
		return "", fmt.Errorf("decide: workload %q has unknown enforcement mode %q", w.ID, w.Mode)
	}
	return Allowed, nil
}

// checkFlow refuses flows no packet could be.
func checkFlow(f Flow) error {
	switch f.Proto {
	case ProtoTCP, ProtoUDP:
		if f.Port < 0 || f.Port > 65535 {
			return fmt.Errorf("port %d out of range 0 to 65535", f.Port)
		}
	case ProtoICMP, ProtoICMPv6:
		if outOfByte(f.ICMPType) || outOfByte(f.ICMPCode) {
			return errors.New("icmp type and code must be 0 to 255")
		}
	default:
		return fmt.Errorf("flow protocol %q is not tcp, udp, icmp or icmpv6", f.Proto)
	}
	return nil
}

func outOfByte(p *int) bool { return p != nil && (*p < 0 || *p > 255) }

// source is what Decide knows of a flow's source: the workloads it may be
// (none for an address no workload holds) and the addresses that stand for
// it, which IP-list consumers are checked against.
type source struct {
	workloads []*Workload
	addrs     []netip.Addr
}

// resolveSource finds the workloads and addresses of e. An address may be
// held by several workloads (overlapping private networks): each of them
// is a candidate.
func resolveSource(ws []Workload, e Endpoint) (source, error) {
	switch {
	case e.Workload != "" && e.IP.IsValid():
		return source{}, fmt.Errorf("source names both workload %q and address %s", e.Workload, e.IP)
	case e.Workload != "":
		w := findWorkload(ws, e.Workload)
		if w == nil {
			return source{}, fmt.Errorf("source workload %q is not among the %d workloads given", e.Workload, len(ws))
		}
		return source{workloads: []*Workload{w}, addrs: workloadAddrs(w)}, nil
	case e.IP.IsValid():
		ip := canonAddr(e.IP)
		s := source{addrs: []netip.Addr{ip}}
		for i := range ws {
			if holds(&ws[i], ip) {
				s.workloads = append(s.workloads, &ws[i])
			}
		}
		return s, nil
	}
	return source{}, errors.New("source names neither a workload nor an address")
}

func findWorkload(ws []Workload, id WorkloadID) *Workload {
	for i := range ws {
		if ws[i].ID == id {
			return &ws[i]
		}
	}
	return nil
}

// workloadAddrs returns w's parseable addresses, in canonical form.
func workloadAddrs(w *Workload) []netip.Addr {
	var out []netip.Addr
	for _, itf := range w.Interfaces {
		for _, s := range itf.Addresses {
			if a, err := netip.ParseAddr(s); err == nil {
				out = append(out, canonAddr(a))
			}
		}
	}
	return out
}

func holds(w *Workload, ip netip.Addr) bool {
	for _, a := range workloadAddrs(w) {
		if a == ip {
			return true
		}
	}
	return false
}
