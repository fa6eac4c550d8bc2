package policy

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// Limits on the sizes of policy objects. They keep one object's
// validation, compilation and wire size bounded.
const (
	maxNameLen         = 128
	maxWorkloadNameLen = 255
	maxDescriptionLen  = 1024
	maxLabelValueLen   = 64
	maxPorts           = 256           // per service
	maxIPListEntries   = 4096          // ranges, and exclusions, per IP list
	maxScopes          = 64            // per ruleset
	maxRules           = 1000          // per ruleset
	maxActors          = 64            // per side of a rule
	maxServiceRefs     = 64            // per rule
	maxInterfaces      = 64            // per workload
	maxAddresses       = 256           // per interface
	maxWorkloadLabels  = MaxDimensions // per workload: one per key at most
)

// report collects what one validation finds: every field error, so that a
// caller fixes a document in one round trip, and the warnings. Paths are
// relative to the object validated; nest prefixes them for a container.
type report struct {
	errs  usererr.Fields
	warns []Warning
}

func (r *report) fail(path, msg string) { r.errs.Add(path, msg) }

func (r *report) failf(path, format string, args ...any) {
	r.errs.Add(path, fmt.Sprintf(format, args...))
}

func (r *report) warn(path, msg string) { r.warns = append(r.warns, Warning{path, msg}) }

// nest adds o's findings with their paths under prefix.
func (r *report) nest(prefix string, o *report) {
	for _, e := range o.errs {
		r.errs.Add(prefix+"."+e.Field, e.Message)
	}
	for _, w := range o.warns {
		r.warn(prefix+"."+w.Field, w.Message)
	}
}

// result returns the warnings, or the error if any field is invalid.
// Warnings of an invalid object are dropped: reasoning about what a broken
// rule would match produces noise, and the write is refused anyway.
func (r *report) result() ([]Warning, error) {
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	return r.warns, nil
}

func at(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// checkName applies the one rule for every name: 1 to limit printable
// characters, no leading or trailing space. Names are shown in lists and
// logs, so an invisible or control character there only hides something.
func checkName(r *report, path, s string, limit int) {
	switch {
	case strings.TrimSpace(s) == "":
		r.fail(path, "is required")
	case utf8.RuneCountInString(s) > limit:
		r.failf(path, "must be 1 to %d characters", limit)
	case !printable(s):
		r.fail(path, "must not contain control or invisible characters")
	case strings.TrimSpace(s) != s:
		r.fail(path, "must not start or end with a space")
	}
}

// checkDescription allows free text, line breaks included, up to a limit.
func checkDescription(r *report, path, s string) {
	switch {
	case utf8.RuneCountInString(s) > maxDescriptionLen:
		r.failf(path, "must be at most %d characters", maxDescriptionLen)
	case !utf8.ValidString(s):
		r.fail(path, "must be valid UTF-8")
	case strings.ContainsFunc(s, func(c rune) bool { return unicode.IsControl(c) && c != '\n' && c != '\t' }):
		r.fail(path, "must not contain control characters other than line breaks and tabs")
	}
}

// printable reports whether s is valid UTF-8 made only of printable
// characters; of the spaces, only ASCII space counts.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

// checkCount checks that a list has lo to hi entries.
func checkCount(r *report, path string, n, lo, hi int) {
	if n >= lo && n <= hi {
		return
	}
	if lo == 0 {
		r.failf(path, "must have at most %d entries", hi)
		return
	}
	r.failf(path, "must have %d to %d entries", lo, hi)
}

// checkUUID checks an object id: required, a canonical (lowercase) UUID.
func checkUUID(r *report, path, id string) bool {
	switch {
	case id == "":
		r.fail(path, "is required")
	case !ids.Valid(id):
		r.failf(path, "must be a lowercase UUID (8-4-4-4-12 hex digits), got %q", id)
	default:
		return true
	}
	return false
}

// firstSeen remembers the index where each key first appeared, to point a
// duplicate at its original.
type firstSeen[K comparable] map[K]int

// dup records key at index i and returns the earlier index, if any.
func (s firstSeen[K]) dup(key K, i int) (int, bool) {
	if j, ok := s[key]; ok {
		return j, true
	}
	s[key] = i
	return 0, false
}
