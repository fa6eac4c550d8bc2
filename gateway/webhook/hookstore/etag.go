package hookstore

import (
	"strconv"
	"strings"

	"github.com/remora-sec/remora/infra/usererr"
)

// ETag is the strong entity tag of a webhook at revision rev, in the same
// form as the policy objects' (policystore.ETag), from the same sequence.
func ETag(rev int64) string { return `"` + strconv.FormatInt(rev, 10) + `"` }

// checkIfMatch enforces an If-Match header value against the current
// revision as policystore does: "" and "*" pass, so does a list holding
// the current tag; anything else means the caller changed a stale copy.
func checkIfMatch(ifMatch string, rev int64) error {
	if ifMatch == "" || strings.TrimSpace(ifMatch) == "*" {
		return nil
	}
	want := ETag(rev)
	for _, t := range strings.Split(ifMatch, ",") {
		if strings.TrimSpace(t) == want {
			return nil
		}
	}
	return &usererr.Error{Kind: usererr.PreconditionFailed, Msg: "the webhook changed since it was read",
		Fields: []usererr.FieldError{{Field: "If-Match", Message: "is " + ifMatch + ", the current ETag is " + want}}}
}
