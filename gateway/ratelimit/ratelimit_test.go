package ratelimit

import (
	"context"
	"crypto/rand"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisURL is where the tests find Redis. The limiter exists to be shared
// through Redis, so a fake would test little; without Redis the tests fail
// rather than skip so that a missing Redis in CI is noticed.
func redisURL() string {
	if u := os.Getenv("REMORA_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://localhost:6379/0"
}

// newLimiter returns a Limiter on the test Redis under a fresh random prefix,
// plus the client, and deletes everything under the prefix when t ends.
func newLimiter(t *testing.T) (*Limiter, *redis.Client, string) {
	t.Helper()
	u := redisURL()
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("parse REMORA_TEST_REDIS_URL %q: %v", u, err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at %s is unreachable (set REMORA_TEST_REDIS_URL to a running Redis): %v", u, err)
	}

	prefix := "remora:rl:test:" + rand.Text() + ":"
	t.Cleanup(func() {
		// t.Context is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, k := range scan(t, ctx, rdb, prefix) {
			if err := rdb.Del(ctx, k).Err(); err != nil {
				t.Errorf("clean up %s: %v", k, err)
			}
		}
	})
	return New(rdb, prefix), rdb, prefix
}

// scan returns every key under prefix.
func scan(t *testing.T, ctx context.Context, rdb *redis.Client, prefix string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan %s*: %v", prefix, err)
	}
	return keys
}

// hit is one step of a scenario: a call to Allow, or to Reset if reset is set.
type hit struct {
	lim    Limit
	key    string
	reset  bool
	wantOK bool
}

func TestAllow(t *testing.T) {
	// Windows are long so none can pass during a test; expiry has its own
	// test below.
	one := Limit{Name: "one", Max: 1, Window: time.Minute}
	three := Limit{Name: "three", Max: 3, Window: time.Minute}
	other := Limit{Name: "other", Max: 1, Window: time.Minute}

	for _, tc := range []struct {
		name string
		hits []hit
	}{
		{"under budget", []hit{
			{lim: three, key: "a", wantOK: true},
			{lim: three, key: "a", wantOK: true},
			{lim: three, key: "a", wantOK: true},
		}},
		{"over budget", []hit{
			{lim: three, key: "a", wantOK: true},
			{lim: three, key: "a", wantOK: true},
			{lim: three, key: "a", wantOK: true},
			{lim: three, key: "a", wantOK: false},
			{lim: three, key: "a", wantOK: false},
		}},
		{"keys independent", []hit{
			{lim: one, key: "a", wantOK: true},
			{lim: one, key: "a", wantOK: false},
			{lim: one, key: "b", wantOK: true},
			{lim: one, key: "b", wantOK: false},
			{lim: one, key: "a", wantOK: false},
		}},
		{"names independent", []hit{
			{lim: one, key: "a", wantOK: true},
			{lim: one, key: "a", wantOK: false},
			{lim: other, key: "a", wantOK: true},
			{lim: other, key: "a", wantOK: false},
		}},
		{"reset restores budget", []hit{
			{lim: one, key: "a", wantOK: true},
			{lim: other, key: "a", wantOK: true},
			{lim: one, key: "a", wantOK: false},
			{lim: one, key: "a", reset: true},
			{lim: one, key: "a", wantOK: true},
			{lim: one, key: "a", wantOK: false},
			{lim: other, key: "a", wantOK: false}, // untouched by the reset
		}},
		{"reset unknown key", []hit{
			{lim: one, key: "never-seen", reset: true},
			{lim: one, key: "never-seen", wantOK: true},
		}},
		{"awkward keys", []hit{
			{lim: one, key: "alice@example.com", wantOK: true},
			{lim: one, key: "2001:db8::1", wantOK: true},
			{lim: one, key: "2001:db8::1", wantOK: false},
			{lim: one, key: "2001:db8:0:0:0:0:0:2", wantOK: true},
			{lim: one, key: "", wantOK: true},
			{lim: one, key: "*", wantOK: true},
			{lim: one, key: "a\r\nb\x00 ünï", wantOK: true},
			{lim: one, key: strings.Repeat("x", 1<<16), wantOK: true},
			{lim: one, key: "alice@example.com", wantOK: false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _, _ := newLimiter(t)
			for i, h := range tc.hits {
				if h.reset {
					if err := l.Reset(t.Context(), h.lim, h.key); err != nil {
						t.Fatalf("step %d: Reset: %v", i, err)
					}
					continue
				}
				ok, retry, err := l.Allow(t.Context(), h.lim, h.key)
				if err != nil {
					t.Fatalf("step %d: Allow: %v", i, err)
				}
				if ok != h.wantOK {
					t.Fatalf("step %d: Allow(%s, %.20q) ok = %v, want %v", i, h.lim.Name, h.key, ok, h.wantOK)
				}
				switch {
				case ok && retry != 0:
					t.Errorf("step %d: allowed with retryAfter = %v, want 0", i, retry)
				case !ok && (retry <= 0 || retry > h.lim.Window):
					t.Errorf("step %d: retryAfter = %v, want in (0, %v]", i, retry, h.lim.Window)
				case !ok && retry%time.Second != 0:
					t.Errorf("step %d: retryAfter = %v, want whole seconds", i, retry)
				}
			}
		})
	}
}

// TestKeys checks what lands in Redis: one key per limit and caller key,
// under the prefix, with the caller's key hashed and an expiry set.
func TestKeys(t *testing.T) {
	l, rdb, prefix := newLimiter(t)
	lim := Limit{Name: "login:ip", Max: 5, Window: time.Minute}
	for range 3 {
		if _, _, err := l.Allow(t.Context(), lim, "2001:db8::1"); err != nil {
			t.Fatal(err)
		}
	}

	keys := scan(t, t.Context(), rdb, prefix)
	if len(keys) != 1 {
		t.Fatalf("keys under prefix = %q, want exactly one", keys)
	}
	want := regexp.MustCompile("^" + regexp.QuoteMeta(prefix+"login:ip:") + "[0-9a-f]{64}$")
	if !want.MatchString(keys[0]) {
		t.Errorf("key = %q, want %s", keys[0], want)
	}
	n, err := rdb.Get(t.Context(), keys[0]).Int()
	if err != nil || n != 3 {
		t.Errorf("counter = %d, %v; want 3", n, err)
	}
	ttl, err := rdb.PTTL(t.Context(), keys[0]).Result()
	if err != nil || ttl <= 0 || ttl > lim.Window {
		t.Errorf("PTTL = %v, %v; want in (0, %v]", ttl, err, lim.Window)
	}
}

// TestRepairsMissingExpiry checks that a counter without an expiry does not
// lock its key out forever.
func TestRepairsMissingExpiry(t *testing.T) {
	l, rdb, _ := newLimiter(t)
	lim := Limit{Name: "n", Max: 1, Window: time.Minute}
	if err := rdb.Set(t.Context(), l.key(lim, "k"), 100, 0).Err(); err != nil {
		t.Fatal(err)
	}
	ok, retry, err := l.Allow(t.Context(), lim, "k")
	if err != nil || ok {
		t.Fatalf("Allow = %v, %v; want not ok", ok, err)
	}
	if retry <= 0 || retry > lim.Window {
		t.Errorf("retryAfter = %v, want in (0, %v]", retry, lim.Window)
	}
	if ttl := rdb.PTTL(t.Context(), l.key(lim, "k")).Val(); ttl <= 0 {
		t.Errorf("PTTL = %v after Allow, want an expiry", ttl)
	}
}

func TestWindowExpires(t *testing.T) {
	l, rdb, _ := newLimiter(t)
	lim := Limit{Name: "short", Max: 2, Window: 200 * time.Millisecond}
	ctx := t.Context()

	for i, want := range []bool{true, true, false} {
		ok, retry, err := l.Allow(ctx, lim, "k")
		if err != nil {
			t.Fatal(err)
		}
		if ok != want {
			t.Fatalf("hit %d: ok = %v, want %v", i, ok, want)
		}
		// Shorter than a second, so Retry-After is the 1s floor.
		if !ok && retry != time.Second {
			t.Errorf("hit %d: retryAfter = %v, want 1s", i, retry)
		}
	}

	// Wait until Redis has expired the window, watching the key rather than
	// sleeping for a guessed duration.
	key := l.key(lim, "k")
	waitFor(t, 5*time.Second, func() bool {
		n, err := rdb.Exists(ctx, key).Result()
		if err != nil {
			t.Fatalf("EXISTS: %v", err)
		}
		return n == 0
	})

	for i, want := range []bool{true, true} {
		if ok, _, err := l.Allow(ctx, lim, "k"); err != nil || ok != want {
			t.Fatalf("after window, hit %d: ok = %v, %v; want %v", i, ok, err, want)
		}
	}
}

// waitFor polls cond until it holds, failing t if it does not within timeout.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("condition not met within %v", timeout)
		}
	}
}

func TestConcurrent(t *testing.T) {
	l, _, _ := newLimiter(t)
	lim := Limit{Name: "burst", Max: 10, Window: time.Minute}

	var allowed, denied atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Go(func() {
			<-start
			ok, _, err := l.Allow(t.Context(), lim, "k")
			if err != nil {
				t.Errorf("Allow: %v", err)
				return
			}
			if ok {
				allowed.Add(1)
			} else {
				denied.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if allowed.Load() != 10 || denied.Load() != 10 {
		t.Errorf("allowed %d, denied %d; want 10 and 10", allowed.Load(), denied.Load())
	}
}

func TestInvalidLimit(t *testing.T) {
	l, rdb, prefix := newLimiter(t)
	for _, tc := range []struct {
		name string
		lim  Limit
		want string
	}{
		{"empty name", Limit{Max: 1, Window: time.Second}, "Name"},
		{"zero max", Limit{Name: "n", Max: 0, Window: time.Second}, "Max"},
		{"negative max", Limit{Name: "n", Max: -1, Window: time.Second}, "Max"},
		{"zero window", Limit{Name: "n", Max: 1}, "Window"},
		{"sub-millisecond window", Limit{Name: "n", Max: 1, Window: time.Microsecond}, "Window"},
		{"negative window", Limit{Name: "n", Max: 1, Window: -time.Second}, "Window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, _, err := l.Allow(t.Context(), tc.lim, "k")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Allow error = %v, want one mentioning %s", err, tc.want)
			}
			if ok {
				t.Error("Allow ok = true with invalid limit")
			}
			if err := l.Reset(t.Context(), tc.lim, "k"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Reset error = %v, want one mentioning %s", err, tc.want)
			}
		})
	}
	if keys := scan(t, t.Context(), rdb, prefix); len(keys) != 0 {
		t.Errorf("invalid limits wrote keys %q", keys)
	}
}

// TestRedisErrors checks that failures reach the caller as errors with
// ok=false, so the caller fails closed.
func TestRedisErrors(t *testing.T) {
	lim := Limit{Name: "n", Max: 1, Window: time.Second}

	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	down := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { down.Close() })

	up, _, _ := newLimiter(t)
	canceled, cancel := context.WithCancel(t.Context())
	cancel()

	for _, tc := range []struct {
		name string
		l    *Limiter
		ctx  context.Context
	}{
		{"redis down", New(down, "remora:rl:test:"), t.Context()},
		{"context canceled", up, canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, _, err := tc.l.Allow(tc.ctx, lim, "k")
			if err == nil || ok {
				t.Errorf("Allow = %v, %v; want false and an error", ok, err)
			}
			if err := tc.l.Reset(tc.ctx, lim, "k"); err == nil {
				t.Error("Reset succeeded, want an error")
			}
		})
	}
}

func TestRetryAfterFor(t *testing.T) {
	for _, tc := range []struct {
		ttl, want time.Duration
	}{
		{0, time.Second},
		{time.Millisecond, time.Second},
		{999 * time.Millisecond, time.Second},
		{time.Second, time.Second},
		{1001 * time.Millisecond, 2 * time.Second},
		{59*time.Second + 500*time.Millisecond, time.Minute},
	} {
		if got := retryAfterFor(tc.ttl); got != tc.want {
			t.Errorf("retryAfterFor(%v) = %v, want %v", tc.ttl, got, tc.want)
		}
	}
}
