package hookstore

import "github.com/remora-sec/remora/infra/etag"

// ETag is the strong entity tag of a webhook at revision rev, in the same
// form as the policy objects', from the same sequence.
func ETag(rev int64) string { return etag.Of(rev) }

// checkIfMatch enforces an If-Match header value against the current
// revision (see etag.Check).
func checkIfMatch(ifMatch string, rev int64) error { return etag.Check(ifMatch, rev, "webhook") }
