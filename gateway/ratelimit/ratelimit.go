// Package ratelimit is a fixed-window rate limiter kept in Redis, so that
// every PCE replica draws on the same budget. It guards signup, login and
// token refresh, keyed per client address and per account.
//
// A fixed window is cruder than a sliding one (a client can spend up to twice
// the budget across a window boundary) but costs one small key per limited
// key and one round trip per hit, which matters on the login path.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limit is one named budget: at most Max hits per Window for one key.
type Limit struct {
	// Name identifies the budget, e.g. "login:ip". It is part of the Redis
	// key, so two limits with the same Name share counters.
	Name string
	// Max is how many hits are allowed per window.
	Max int
	// Window is the length of a window. Sub-millisecond parts are dropped.
	Window time.Duration
}

// validate reports why lim cannot be used, if it cannot.
func (lim Limit) validate() error {
	switch {
	case lim.Name == "":
		return errors.New("ratelimit: limit has empty Name")
	case lim.Max < 1:
		return fmt.Errorf("ratelimit: limit %q: Max is %d, must be at least 1", lim.Name, lim.Max)
	case lim.Window < time.Millisecond:
		return fmt.Errorf("ratelimit: limit %q: Window is %v, must be at least 1ms", lim.Name, lim.Window)
	}
	return nil
}

// hitScript counts one hit and returns {count, milliseconds left in the
// window}. Doing INCR, PEXPIRE and PTTL in one script makes them atomic: no
// replica can see a counter without an expiry, and a crash between commands
// cannot leave a key that never expires and locks a client out for good.
//
// The PTTL < 0 branch repairs a counter that has no expiry anyway (say,
// written by hand), for the same reason.
const hitScript = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
	ttl = tonumber(ARGV[1])
end
return {n, ttl}
`

// Limiter checks hits against Limits. It is safe for concurrent use.
type Limiter struct {
	rdb    redis.UniversalClient
	prefix string
	hit    *redis.Script
}

// New returns a Limiter that keeps its counters in rdb. Every key is prefixed
// with prefix (e.g. "remora:rl:") so tests and deployments can share one
// Redis without seeing each other's counters.
func New(rdb redis.UniversalClient, prefix string) *Limiter {
	return &Limiter{rdb: rdb, prefix: prefix, hit: redis.NewScript(hitScript)}
}

// Allow records one hit of key against lim. While hits stay within the budget
// it returns ok=true. Once the budget is spent it returns ok=false and how long
// until the window resets, rounded up to whole seconds and at least 1s, ready
// for a Retry-After header.
//
// Any Redis error is returned with ok=false; callers should fail closed (503)
// rather than let unlimited guesses through while Redis is down.
func (l *Limiter) Allow(ctx context.Context, lim Limit, key string) (ok bool, retryAfter time.Duration, err error) {
	if err := lim.validate(); err != nil {
		return false, 0, err
	}
	window := lim.Window.Milliseconds()
	res, err := l.hit.Run(ctx, l.rdb, []string{l.key(lim, key)}, window).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit %s: %w", lim.Name, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("ratelimit %s: script returned %d values, want 2", lim.Name, len(res))
	}
	count, ttl := res[0], time.Duration(res[1])*time.Millisecond
	if count <= int64(lim.Max) {
		return true, 0, nil
	}
	return false, retryAfterFor(ttl), nil
}

// Reset forgets key's hits under lim, for example to restore the per-account
// failure budget after a successful login.
func (l *Limiter) Reset(ctx context.Context, lim Limit, key string) error {
	if err := lim.validate(); err != nil {
		return err
	}
	if err := l.rdb.Del(ctx, l.key(lim, key)).Err(); err != nil {
		return fmt.Errorf("ratelimit %s: reset: %w", lim.Name, err)
	}
	return nil
}

// key returns the Redis key for key under lim. The caller's key is hashed
// because it is arbitrary input (emails, IPv6 addresses with colons, or
// whatever an attacker puts in a form field): hashing gives every key the
// same length and alphabet, so none can reach into another limit's key space
// or make keys of unbounded size.
func (l *Limiter) key(lim Limit, key string) string {
	sum := sha256.Sum256([]byte(key))
	return l.prefix + lim.Name + ":" + hex.EncodeToString(sum[:])
}

// retryAfterFor rounds the time left in a window up to whole seconds, the
// unit of Retry-After, and to at least 1s so that a client is never told to
// retry immediately only to be refused again.
func retryAfterFor(ttl time.Duration) time.Duration {
	d := ttl.Truncate(time.Second)
	if d < ttl {
		d += time.Second
	}
	return max(d, time.Second)
}
