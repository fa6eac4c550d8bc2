package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// dimensionRE is what a label key looks like: short, lowercase, and safe to
// use unquoted in selectors, URLs and nftables set names.
var dimensionRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// ValidateDimension checks a new label key (path "key").
func ValidateDimension(key string) error {
	var r report
	checkDimension(&r, "key", key)
	return r.errs.Err()
}

func checkDimension(r *report, path, key string) {
	switch {
	case key == "":
		r.fail(path, "is required")
	case !dimensionRE.MatchString(key):
		r.failf(path, "must be 1 to 32 characters of a-z, 0-9, '_' and '-', starting with a letter, got %q", key)
	}
}

// ValidateLabel checks a label's key against the tenant's dimensions dims
// and its value. It does not check the id, which the store assigns.
func ValidateLabel(l Label, dims []string) error {
	var r report
	switch {
	case l.Key == "":
		r.fail("key", "is required")
	case len(dims) == 0:
		r.failf("key", "must be a label key of the tenant, and it has none, got %q", l.Key)
	case !slices.Contains(dims, l.Key):
		r.failf("key", "must be one of %s, got %q", strings.Join(dims, ", "), l.Key)
	}
	checkLabelValue(&r, "value", l.Value)
	return r.errs.Err()
}

// checkLabelValue checks a label value. '=' and ',' are refused because
// labels are written "key=value" in lists ("env=prod,role=web") by the API,
// the console and the Terraform provider; a value holding them would read
// as two labels.
func checkLabelValue(r *report, path, v string) {
	switch {
	case v == "":
		r.fail(path, "is required")
	case utf8.RuneCountInString(v) > maxLabelValueLen:
		r.failf(path, "must be 1 to %d characters", maxLabelValueLen)
	case !printable(v):
		r.fail(path, "must not contain control or invisible characters")
	case strings.TrimSpace(v) != v:
		r.fail(path, "must not start or end with a space")
	case strings.ContainsAny(v, "=,"):
		r.failf(path, "must not contain '=' or ',', got %q", v)
	}
}

// describeLabel names a label for messages: its id, and key=value when
// known, since an id alone means nothing to the reader.
func describeLabel(c Catalog, id LabelID) string {
	if l, ok := c.Label(id); ok {
		return fmt.Sprintf("label %q (%s=%s)", id, l.Key, l.Value)
	}
	return fmt.Sprintf("label %q", id)
}
