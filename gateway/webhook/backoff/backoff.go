// Package backoff holds the retry schedule of webhook deliveries: how long
// the dispatcher waits after a failed attempt before the next one, and when
// it gives up and marks the delivery failed.
//
// The default follows the Standard Webhooks recommendation (immediately,
// then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h): quick retries ride out a
// blip, long ones a receiver's outage of most of a day. Every delay is
// jittered by up to ±20% so that the deliveries held up by one outage do not
// all come back at the same instant. Counting attempts, and disabling an
// endpoint that keeps failing, belong to the dispatcher.
package backoff

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Schedule is the delay before each retry: Schedule[0] separates the first
// attempt from the second, and so on; a delivery gets len(Schedule)+1
// attempts in all. The first attempt is never delayed.
type Schedule []time.Duration

// Default is the schedule when the server is given none: 8 attempts over
// about 27.6 hours, the last one a little over a day after the event.
var Default = Schedule{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	10 * time.Hour,
}

// Jitter is the largest fraction by which Next moves a delay either way.
const Jitter = 0.2

// maxDelay bounds one configured delay: beyond a week the receiver will not
// remember the event, and a typo such as "10000h" should fail at startup.
const maxDelay = 7 * 24 * time.Hour

// Rand is the randomness Next draws its jitter from; *rand.Rand (math/rand/v2)
// is one. Tests pass a fixed value.
type Rand interface {
	// Float64 returns a number in [0, 1).
	Float64() float64
}

// Next returns the delay to wait after the given number of attempts before
// making the next one, and false when the schedule is exhausted and the
// delivery has failed. Next(0) is the first attempt: no delay. rnd is the
// jitter's source; nil means math/rand/v2's global source, which is safe
// for concurrent use.
func (s Schedule) Next(attempt int, rnd Rand) (time.Duration, bool) {
	switch {
	case attempt <= 0:
		return 0, true
	case attempt > len(s):
		return 0, false
	}
	f := rand.Float64
	if rnd != nil {
		f = rnd.Float64
	}
	scale := 1 + Jitter*(2*f()-1) // in [0.8, 1.2)
	// Milliseconds are plenty, and keep float noise out of stored times.
	return time.Duration(float64(s[attempt-1]) * scale).Round(time.Millisecond), true
}

// Total is the sum of the schedule's delays without jitter: roughly how long
// after the first attempt the last one is made.
func (s Schedule) Total() time.Duration {
	var t time.Duration
	for _, d := range s {
		t += d
	}
	return t
}

// Parse reads a schedule written as comma-separated Go durations, such as
// "5s,5m,30m,2h,5h,10h,10h". Each delay must be positive and at most a
// week; the list must not be empty. The errors name the bad entry.
func Parse(text string) (Schedule, error) {
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("retry schedule: empty; want delays such as \"5s,5m,30m,2h\"")
	}
	var s Schedule
	for i, field := range strings.Split(text, ",") {
		field = strings.TrimSpace(field)
		d, err := time.ParseDuration(field)
		switch {
		case field == "":
			return nil, fmt.Errorf("retry schedule %q: delay %d is empty", text, i+1)
		case err != nil:
			return nil, fmt.Errorf("retry schedule %q: delay %d %q is not a duration such as 30s, 5m or 2h", text, i+1, field)
		case d <= 0:
			return nil, fmt.Errorf("retry schedule %q: delay %d %q must be positive", text, i+1, field)
		case d > maxDelay:
			return nil, fmt.Errorf("retry schedule %q: delay %d %q is over %s", text, i+1, field, maxDelay)
		}
		s = append(s, d)
	}
	return s, nil
}
