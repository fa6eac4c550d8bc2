// Package redisx opens the PCE's Redis client. Redis only carries wake-ups
// and rate-limit counters: Postgres is the truth.
package redisx

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Open parses url, connects, and checks that the server answers.
func Open(ctx context.Context, url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connect to redis %s: %w", opt.Addr, err)
	}
	return rdb, nil
}
