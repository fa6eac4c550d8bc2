// Package enforce turns a wire.Document into the host firewall: one nftables
// table (inet, so one program serves IPv4 and IPv6) replaced or updated in
// single atomic netlink batches.
//
// It follows the rule of the architecture's "On the host" section: static
// rules, dynamic sets. Rules reference one named interval set per document
// set and family; when a new document differs from the last one only in set
// members, only the element difference is sent, computed against an
// in-memory shadow of what was programmed, never against sets read back
// from the kernel. Any other change replaces the whole table in one
// transaction (delete and re-add), so there is no moment without rules.
//
// The package never fails open: a document it cannot program is refused
// before the kernel is touched, and a failed batch leaves the previous
// table in force (the kernel aborts the whole transaction). Persisting the
// last document and re-applying it at boot is the agent's job.
//
// The translation is split in two so it can be tested without a kernel:
// compile maps a document to an abstract program (ordered rules over
// abstract matches, see program.go), which tests check against
// wire.Document.Match on random packets; nftExprs then maps each abstract
// rule to nftables expressions, which the namespace tests check with real
// traffic.
package enforce
