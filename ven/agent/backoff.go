package agent

import (
	"math/rand/v2"
	"time"
)

// Default retry delays after a failed call to the PCE: a first retry after
// about a second, so a blip costs little, then doubling up to half a minute,
// so a thousand VENs of a PCE that went down do not hammer it when it
// returns.
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = 30 * time.Second
)

// Backoff is an exponential delay with jitter. The n-th delay is drawn from
// [d/2, d] where d = Min·2ⁿ capped at Max: the upper half keeps the growth
// (a retry never comes much sooner than planned), the spread keeps VENs that
// failed together from retrying together. It is not safe for concurrent
// use; each loop has its own.
type Backoff struct {
	Min, Max time.Duration
	// Rand returns a float in [0, 1); nil means math/rand/v2.
	Rand func() float64

	n int
}

// Next returns the delay before the next retry and advances the sequence.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = DefaultBackoffMin
	}
	if hi < lo {
		hi = max(lo, DefaultBackoffMax)
	}
	d := lo
	for i := 0; i < b.n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	if d < hi {
		b.n++
	}
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	return d/2 + time.Duration(r()*float64(d/2))
}

// Reset starts the sequence again, after a success.
func (b *Backoff) Reset() { b.n = 0 }
