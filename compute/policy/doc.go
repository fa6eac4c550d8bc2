// Package policy is Remora's policy model: the types a tenant writes
// (labels, label groups, services, IP lists, rulesets and their rules), the
// workloads they select, their validation, and the reference evaluator.
//
// It is pure Go with no I/O: storage, HTTP and compilation are other
// packages' business. The JSON tags are the wire and export format, so the
// REST API, the import/export document and the stored documents share one
// shape.
//
// The evaluator (Decide) is deliberately naive: it applies the decision rule
// of ARCHITECTURE.md ("Policy semantics") flow by flow, walking every rule.
// It is the oracle the incremental compiler is tested against, so clarity
// beats speed here.
package policy
