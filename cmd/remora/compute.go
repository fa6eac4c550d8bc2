package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/remora-sec/remora/compute/docstore"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/compute/worker"
	"github.com/remora-sec/remora/infra/config"
	"github.com/remora-sec/remora/infra/logging"
	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/pg"
	"github.com/remora-sec/remora/infra/redisx"
	"github.com/remora-sec/remora/tenants"
)

// startCompute runs n compute workers and one reconciler until ctx ends;
// wait returns once they have stopped. Several processes may run them at
// once: the queue's consumer group shares the jobs.
// The workers share one cache of tenant graphs.
func startCompute(ctx context.Context, cfg config.Config, n int, store *tenants.Store, q *queue.Queue, log *slog.Logger, reg prometheus.Registerer) (wait func()) {
	var wg sync.WaitGroup
	if n == 0 {
		return wg.Wait
	}
	ctx = outbox.WithActor(ctx, outbox.System) // whatever they change, nobody asked for it
	ps := policystore.New(store)
	c := &worker.Computer{Policy: ps, Docs: docstore.New(store), Cache: worker.NewCache(cfg.ComputeCache)}
	m := worker.NewMetrics(reg, q)
	host, _ := os.Hostname()
	for i := range n {
		w := &worker.Worker{Name: fmt.Sprintf("%s-%d-%d", host, os.Getpid(), i), Queue: q, Computer: c, Log: log, Metrics: m}
		wg.Go(func() { w.Run(ctx) })
	}
	r := &worker.Reconciler{Tenants: store, Policy: ps, Queue: q, Log: log}
	wg.Go(func() { r.Run(ctx) })
	log.Info("compute workers started", "workers", n)
	return wg.Wait
}

// workerCmd runs compute workers only, for deployments that scale them
// apart from the API.
func workerCmd(ctx context.Context, fs *flag.FlagSet, args []string, stderr io.Writer) error {
	cfg, err := config.Load(fs, args, os.Getenv)
	if err != nil {
		return err
	}
	log := logging.New(stderr, cfg.LogLevel)
	// The worker signs no tokens, but the store wants a key: a random one.
	store, rdb, closeAll, err := open(ctx, cfg, rand.Text()+rand.Text())
	if err != nil {
		return err
	}
	defer closeAll()
	// No HTTP server here to scrape them: the series are kept, unserved.
	startCompute(ctx, cfg, max(cfg.Workers, 1), store, queue.New(rdb, cfg.RedisPrefix), log, prometheus.NewRegistry())()
	return nil
}

// open connects to Postgres (checking its schema is this binary's) and
// Redis, and builds the tenants store with jwtSecret; closeAll releases
// both connections.
func open(ctx context.Context, cfg config.Config, jwtSecret string) (_ *tenants.Store, _ *redis.Client, closeAll func(), err error) {
	pool, err := pg.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := tenants.CheckSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, nil, nil, err
	}
	rdb, err := redisx.Open(ctx, cfg.RedisURL)
	if err != nil {
		pool.Close()
		return nil, nil, nil, err
	}
	store, err := tenants.NewStore(pool, tenants.Options{JWTSecret: []byte(jwtSecret)})
	if err != nil {
		rdb.Close()
		pool.Close()
		return nil, nil, nil, err
	}
	return store, rdb, func() { rdb.Close(); pool.Close() }, nil
}
