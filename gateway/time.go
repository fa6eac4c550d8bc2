package gateway

import "time"

// utc returns t in UTC, keeping nil: API times are always UTC.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
