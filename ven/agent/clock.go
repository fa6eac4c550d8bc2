package agent

import "time"

// Clock is what the loops wait with; tests pass one that does not make them
// sleep.
type Clock interface {
	// After is time.After.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real time.
type SystemClock struct{}

func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
