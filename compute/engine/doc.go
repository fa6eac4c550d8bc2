// Package engine is the rule compiler: it turns a tenant's active policy
// and workloads into one wire.Document per workload, and keeps them up to
// date as workloads come, change and go.
//
// The shape follows ARCHITECTURE.md ("Compute: how it must scale"):
//
//	policy ──► bindings (rule × scope) ──► selectors (canonical actors)
//	                 │                          │ members: addresses of the
//	                 ▼                          ▼ workloads they match
//	     per-workload rule lists ──────► shared IP sets
//
// Every distinct (actor, scope) pair of the policy is one selector with a
// stable id, shared by every rule that uses it; its matching workloads'
// addresses are one set. A workload's document lists rules that name sets,
// never peer addresses, so its size grows with the rules that apply to it,
// not with the number of peers.
//
// Changes return a Delta: the sets whose members changed (with the added
// and removed prefixes) and the workloads whose rule lists changed. The
// engine is pure Go with no I/O, not safe for concurrent use; persistence,
// queues and delivery are its callers' business. It is tested against
// policy.Decide, the reference evaluator.
package engine
