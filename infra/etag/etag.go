// Package etag is the entity tags of editable rows: a strong tag of the
// row's revision (one sequence per tenant schema), and the If-Match check
// that turns a stale edit into 412 instead of a lost update.
package etag

import (
	"strconv"
	"strings"

	"github.com/remora-sec/remora/infra/usererr"
)

// Of is the strong entity tag of a row at revision rev.
func Of(rev int64) string { return `"` + strconv.FormatInt(rev, 10) + `"` }

// Check enforces an If-Match header value against the current revision:
// "" (no header) and "*" pass, so does a list holding the current tag;
// anything else means the caller edited a stale copy of what (named in the
// error). Weak tags never match (RFC 9110 compares If-Match strongly).
func Check(ifMatch string, rev int64, what string) error {
	if ifMatch == "" || strings.TrimSpace(ifMatch) == "*" {
		return nil
	}
	want := Of(rev)
	for _, t := range strings.Split(ifMatch, ",") {
		if strings.TrimSpace(t) == want {
			return nil
		}
	}
	return &usererr.Error{Kind: usererr.PreconditionFailed, Msg: "the " + what + " changed since it was read",
		Fields: []usererr.FieldError{{Field: "If-Match", Message: "is " + ifMatch + ", the current ETag is " + want}}}
}
