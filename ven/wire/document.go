// Package wire holds the types of the VEN channel, the only code the PCE
// and the agent share: the policy document one workload enforces. It has
// no I/O and imports nothing of either side.
package wire

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"slices"
)

// Class is a rule's precedence class: a flow is decided by the first class
// with a matching rule, in the order OverrideDeny, Allow, Deny; with none,
// by the document's defaults.
type Class string

const (
	OverrideDeny Class = "override_deny"
	Allow        Class = "allow"
	Deny         Class = "deny"
)

// Classes lists the classes in precedence order.
var Classes = []Class{OverrideDeny, Allow, Deny}

// Direction says which traffic a rule filters, seen from the workload.
type Direction string

const (
	Inbound  Direction = "in"
	Outbound Direction = "out"
)

// Set is a named set of prefixes that rules refer to; many documents share
// one set, so a membership change is one set update, not a rule rewrite.
type Set struct {
	ID       string         `json:"id"`
	Prefixes []netip.Prefix `json:"prefixes"`
}

// Rule is one compiled rule. Set is the peer (the source of an inbound
// rule, the destination of an outbound one); "" means any peer. Proto is
// tcp, udp, icmp, icmpv6 or any; FromPort..ToPort is inclusive and 0..0
// means every port; ICMPType and ICMPCode, when set, narrow an ICMP rule.
type Rule struct {
	Direction Direction `json:"direction"`
	Class     Class     `json:"class"`
	Set       string    `json:"set,omitempty"`
	Proto     string    `json:"proto"`
	FromPort  int       `json:"from_port,omitempty"`
	ToPort    int       `json:"to_port,omitempty"`
	ICMPType  *int      `json:"icmp_type,omitempty"`
	ICMPCode  *int      `json:"icmp_code,omitempty"`
	Ruleset   string    `json:"ruleset"` // the rule it comes from, for flow reports
	RuleID    string    `json:"rule"`
}

// Document is everything one workload enforces at one generation. Mode
// tells the agent what to program (idle: nothing; visibility_only: log
// only; selective: deny classes; full: everything, default deny inbound).
type Document struct {
	Workload            string `json:"workload"`
	Generation          uint64 `json:"generation"`
	Mode                string `json:"enforcement_mode"`
	OutboundEnforcement bool   `json:"outbound_enforcement"`
	Sets                []Set  `json:"sets"`
	Rules               []Rule `json:"rules"`
	Hash                string `json:"hash"` // of everything but Generation and Hash
}

// Normalize sorts d's sets, prefixes and rules into their canonical order
// and sets Hash, so equal policy gives equal bytes whatever order it was
// compiled in.
func (d *Document) Normalize() {
	if d.Sets == nil {
		d.Sets = []Set{}
	}
	if d.Rules == nil {
		d.Rules = []Rule{}
	}
	for i := range d.Sets {
		if d.Sets[i].Prefixes == nil {
			d.Sets[i].Prefixes = []netip.Prefix{} // an empty set encodes as one, whoever built it
		}
		slices.SortFunc(d.Sets[i].Prefixes, ComparePrefix)
	}
	slices.SortFunc(d.Sets, func(a, b Set) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(d.Rules, compareRule)
	d.Rules = slices.CompactFunc(d.Rules, func(a, b Rule) bool { return compareRule(a, b) == 0 })
	c := *d
	c.Generation, c.Hash = 0, ""
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // plain data always encodes
	}
	sum := sha256.Sum256(b)
	d.Hash = hex.EncodeToString(sum[:])
}

// ComparePrefix is the canonical order of a set's prefixes.
func ComparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

func classRank(c Class) int { return slices.Index(Classes, c) }

func compareRule(a, b Rule) int {
	return cmp.Or(
		cmp.Compare(a.Direction, b.Direction),
		cmp.Compare(classRank(a.Class), classRank(b.Class)),
		cmp.Compare(a.Set, b.Set),
		cmp.Compare(a.Proto, b.Proto),
		cmp.Compare(a.FromPort, b.FromPort),
		cmp.Compare(a.ToPort, b.ToPort),
		compareOpt(a.ICMPType, b.ICMPType),
		compareOpt(a.ICMPCode, b.ICMPCode),
		cmp.Compare(a.Ruleset, b.Ruleset),
		cmp.Compare(a.RuleID, b.RuleID),
	)
}

func compareOpt(a, b *int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Compare(*a, *b)
}
