// Package redistest connects tests to the real Redis server and gives each
// test its own key prefix, removed when the test ends. A missing server fails
// the test: it is never skipped.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

// URL is REMORA_TEST_REDIS_URL, by default the local server.
func URL() string {
	if u := os.Getenv("REMORA_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://localhost:6379/0"
}

// New returns a client and a fresh key prefix ("test:<random>:"); every key
// under the prefix is deleted when the test ends.
func New(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(URL())
	if err != nil {
		t.Fatalf("redistest: REMORA_TEST_REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opt)
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redistest: Redis is required (REMORA_TEST_REDIS_URL=%s): %v", URL(), err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	})
	return rdb, prefix
}
