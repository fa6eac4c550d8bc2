package policy

import "net/netip"

// Endpoint is a flow's source: a known workload, or a bare address (which
// may or may not belong to workloads). Exactly one field is set.
type Endpoint struct {
	Workload WorkloadID
	IP       netip.Addr
}

// Flow is one connection attempt to ask Decide about. Proto is tcp, udp,
// icmp or icmpv6 (never any); Port is set for tcp and udp, ICMPType and
// ICMPCode optionally for icmp and icmpv6.
type Flow struct {
	Source      Endpoint
	Destination WorkloadID
	Proto       Proto
	Port        int
	ICMPType    *int
	ICMPCode    *int
}

// Verdict is what happens to a flow.
type Verdict string

const (
	Allowed            Verdict = "allowed"
	Blocked            Verdict = "blocked"
	PotentiallyBlocked Verdict = "potentially_blocked" // passes now, blocked under full enforcement
)

// Reason is the precedence class that decided a flow.
type Reason string

const (
	ByOverrideDeny Reason = "override_deny" // a matching override_deny rule
	ByAllow        Reason = "allow"         // a matching allow rule, no override_deny
	ByDeny         Reason = "deny"          // a matching deny rule, no allow
	ByDefault      Reason = "default"       // no rule matched: the mode's default
)

// RuleRef names one rule of one ruleset.
type RuleRef struct {
	Ruleset RulesetID `json:"ruleset"`
	Rule    RuleID    `json:"rule"`
}

// Decision is Decide's answer: the verdict, the class that decided it, and
// every matching rule of that class (none for ByDefault), in policy order.
// Mode is the destination's enforcement mode.
type Decision struct {
	Verdict Verdict   `json:"decision"`
	Reason  Reason    `json:"reason"`
	Rules   []RuleRef `json:"rules"`
	Mode    Mode      `json:"enforcement_mode"`
}

// Warning is a finding that does not stop a write: a rule that repeats its
// scope, or can never match. Field is the JSON path of the culprit.
type Warning struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}
