// Package agent is the VEN's logic between its parts: pairing, the state it
// keeps on disk, and the loops of a running agent (policy long-poll,
// heartbeat, tamper check) that tie the tunnel (ven/tunnel) to the firewall
// (ven/enforce).
//
// Its one promise is never to fail open. The last applied document is kept
// on disk and re-applied at start, before the PCE has said anything, so a
// rebooted host is protected as soon as the agent runs; a document that
// cannot be verified or applied leaves the previous one in force and is
// tried again later; a corrupt saved document is reported and the firewall
// is left as it is, never cleared; and stopping the agent keeps the firewall
// (only unpair removes it).
//
// What it leaves to others: programming nftables is ven/enforce's business
// (this package sees it through the small Enforcer interface), the
// WireGuard interface is ven/tunnel's, and flags, signals and output are
// cmd/remora-ven's. Everything that waits takes a Clock and every HTTP call
// an *http.Client, so the loops can be tested against a protocol stub.
package agent
