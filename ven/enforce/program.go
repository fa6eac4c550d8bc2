package enforce

import "net/netip"

// program is the abstract form of the table: what compile produces from a
// document and the shadow Apply keeps of what the kernel holds. It has no
// nftables types so it can be compared, diffed and evaluated in tests.
type program struct {
	Sets   []setSpec // sorted by name
	Input  chain
	Output chain
}

// setSpec is one named interval set: one family of one document set.
type setSpec struct {
	Name   string
	V4     bool
	Ranges []addrRange // sorted, disjoint, not adjacent
}

// chain is a base chain: its rules in evaluation order, and the policy the
// kernel applies if no rule decides (the last rule always decides; the
// policy only matters if the table is tampered with, so it is the
// default's verdict and a deleted last rule cannot open the host).
type chain struct {
	Rules  []rule
	Policy verdict
}

type family uint8

const (
	anyFamily family = iota
	ipv4
	ipv6
)

type verdict uint8

const (
	accept verdict = iota
	drop
)

// tally is the named counter a rule adds its packets to.
type tally uint8

const (
	noTally tally = iota
	tallyDropped
	tallyWouldDrop
)

// span is an inclusive range of a header field (port, ICMP type or code);
// the zero value matches any value.
type span struct {
	On     bool
	Lo, Hi uint16
}

func only(v uint16) span         { return span{On: true, Lo: v, Hi: v} }
func between(lo, hi uint16) span { return span{On: true, Lo: lo, Hi: hi} }
func (s span) has(v uint16) bool { return !s.On || s.Lo <= v && v <= s.Hi }

// rule is one abstract rule. Every set field must match (an unset field
// matches anything); the first matching rule of a chain decides. "Peer" is
// the remote end: the source in the input chain, the destination in the
// output chain.
type rule struct {
	Family      family
	Established bool   // ct state established,related
	Loopback    bool   // iif lo / oif lo
	Iface       string // iifname / oifname
	L4          uint8  // IP protocol number (meta l4proto); 0 = any
	HopLimit    uint8  // IPv6 hop limit; 0 = any
	ICMPType    span
	ICMPCode    span
	SPort       span // transport source port
	DPort       span // transport destination port: the service port in both chains
	PeerAddr    netip.Addr
	PeerSet     string // name of a set in program.Sets; "" = any peer
	Verdict     verdict
	Tally       tally
	Origin      int    // index in the document's Rules; -1 for fixed rules
	Comment     string // shown by nft list; "#<Origin> ..." for document rules
}

// IP protocol numbers.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)
