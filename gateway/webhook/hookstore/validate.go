package hookstore

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/usererr"
)

// Input is a webhook to create.
type Input struct {
	URL         string
	EventTypes  []string // globs, such as "workload.*"
	Description string
	Enabled     bool
}

// Patch is a change to a webhook; nil fields are left as they are.
type Patch struct {
	URL         *string
	EventTypes  *[]string
	Description *string
	Enabled     *bool
}

// Limits of a webhook's fields: enough for any real receiver and filter,
// small enough that the fan-out in every event's transaction stays cheap.
const (
	maxURL         = 2048
	maxEventTypes  = 20
	maxDescription = 500
)

// validate checks the fields p sets, all of them at once, and returns the
// LIKE patterns of its event types (nil when p sets none). Its only
// non-user error is an internal failure of the guard.
func (s *Store) validate(ctx context.Context, p Patch) (patterns []string, err error) {
	var f usererr.Fields
	if p.URL != nil {
		if err := s.checkURL(ctx, *p.URL, &f); err != nil {
			return nil, err
		}
	}
	if p.EventTypes != nil {
		patterns = eventTypes(*p.EventTypes, &f)
	}
	if p.Description != nil && utf8.RuneCountInString(*p.Description) > maxDescription {
		f.Add("description", fmt.Sprintf("must be at most %d characters", maxDescription))
	}
	return patterns, f.Err()
}

// checkURL adds the guard's refusal of raw to f.
func (s *Store) checkURL(ctx context.Context, raw string, f *usererr.Fields) error {
	if len(raw) > maxURL {
		f.Add("url", fmt.Sprintf("must be at most %d bytes", maxURL))
		return nil
	}
	err := s.guard.CheckURL(ctx, raw)
	if err == nil {
		return nil
	}
	ue, ok := usererr.As(err)
	if !ok {
		return fmt.Errorf("check webhook url: %w", err)
	}
	*f = append(*f, ue.Fields...)
	return nil
}

// eventTypes checks a webhook's globs, adding a field error per bad one,
// and returns their LIKE patterns.
func eventTypes(globs []string, f *usererr.Fields) []string {
	switch {
	case len(globs) == 0:
		f.Add("event_types", `must list at least one event type glob, such as "workload.*" or "*"`)
	case len(globs) > maxEventTypes:
		f.Add("event_types", fmt.Sprintf("must list at most %d globs, got %d", maxEventTypes, len(globs)))
	}
	patterns := make([]string, 0, len(globs))
	seen := make(map[string]int, len(globs))
	for i, g := range globs {
		field := fmt.Sprintf("event_types[%d]", i)
		p, ok := outbox.Pattern(g)
		switch {
		case !ok:
			f.Add(field, fmt.Sprintf(`%q is not an event type glob: use lower-case letters, "_", "." and "*", such as "workload.*"`, g))
		case !strings.ContainsAny(g, ".*"):
			// An event type is always resource.verb: a glob with neither
			// a dot nor a star can match nothing, surely not what was meant.
			f.Add(field, fmt.Sprintf(`%q matches no event type: types are resource.verb, such as "%[1]s.created"; "%[1]s.*" matches them all`, g))
		}
		if j, dup := seen[g]; dup {
			f.Add(field, fmt.Sprintf("repeats event_types[%d]", j))
		}
		seen[g] = i
		patterns = append(patterns, p)
	}
	return patterns
}
