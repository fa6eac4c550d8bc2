package policystore

import "github.com/remora-sec/remora/infra/etag"

// ETag is the strong entity tag of a row at revision rev.
func ETag(rev int64) string { return etag.Of(rev) }

// checkIfMatch enforces an If-Match header value against the current
// revision (see etag.Check).
func checkIfMatch(ifMatch string, rev int64) error { return etag.Check(ifMatch, rev, "object") }
