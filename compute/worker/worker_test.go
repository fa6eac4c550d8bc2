package worker_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/compute/worker"
	"github.com/remora-sec/remora/infra/redisx/redistest"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// start runs a worker until the test ends.
func start(t testing.TB, e *env, q *queue.Queue, name string, claimIdle time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	w := &worker.Worker{Name: name, Queue: q, Policy: e.ps, Docs: e.ds, Log: quiet, ClaimIdle: claimIdle, Block: 100 * time.Millisecond}
	wg.Go(func() { w.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// waitConverged waits, up to a deadline, for e's computed generation to
// reach its desired one, then checks the documents.
func waitConverged(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		g, err := e.ps.Generations(e.ctx, e.tenant)
		if err != nil {
			t.Fatal(err)
		}
		if g.Computed == g.Desired {
			e.converged(t)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tenant %s did not converge: computed %d, desired %d", e.tenant, g.Computed, g.Desired)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoWorkersConverge: two workers share the jobs of four tenants,
// each enqueued several times, and every tenant converges.
func TestTwoWorkersConverge(t *testing.T) {
	base := newEnv(t)
	rdb, prefix := redistest.New(t)
	q := queue.New(rdb, prefix)
	envs := []*env{base, base.another(t), base.another(t), base.another(t)}
	for _, e := range envs {
		e.world(t, 60)
		for range 3 {
			if err := q.Enqueue(e.ctx, e.tenant, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	start(t, base, q, "a", time.Minute)
	start(t, base, q, "b", time.Minute)
	for _, e := range envs {
		waitConverged(t, e)
	}
}

// TestDeadWorkersJobIsReclaimed: a worker that took a job and died never
// acknowledges it; another worker reclaims it once idle and completes it.
func TestDeadWorkersJobIsReclaimed(t *testing.T) {
	e := newEnv(t)
	rdb, prefix := redistest.New(t)
	q := queue.New(rdb, prefix)
	e.world(t, 20)
	if err := q.Enqueue(e.ctx, e.tenant, "test"); err != nil {
		t.Fatal(err)
	}
	jobs, err := q.Read(e.ctx, "dead", 10, time.Second, time.Hour)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("the dead worker's read: %v, %v", jobs, err)
	}
	start(t, e, q, "alive", 200*time.Millisecond)
	waitConverged(t, e)
	pending, err := rdb.XPending(e.ctx, prefix+"compute:jobs", "workers").Result()
	if err != nil || pending.Count != 0 {
		t.Fatalf("jobs still pending after the reclaim: %+v, %v", pending, err)
	}
}

// TestReconcilerAfterRedisLoss: the jobs are lost with Redis's data (every
// key of the queue deleted, as FLUSHALL would, without touching other
// tests' keys); the reconciler finds the lagging tenant in Postgres and
// re-enqueues it, and it converges.
func TestReconcilerAfterRedisLoss(t *testing.T) {
	e := newEnv(t)
	rdb, prefix := redistest.New(t)
	q := queue.New(rdb, prefix)
	e.world(t, 20)
	if err := q.Enqueue(e.ctx, e.tenant, "test"); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(e.ctx, prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("queue keys: %v, %v", keys, err)
	}
	if err := rdb.Del(e.ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	start(t, e, q, "w", time.Minute)
	r := &worker.Reconciler{Tenants: e.ts, Policy: e.ps, Queue: q, Log: quiet}
	n, err := r.Once(e.ctx)
	if err != nil || n != 1 {
		t.Fatalf("reconcile: %d re-enqueued, %v; want the one lagging tenant", n, err)
	}
	waitConverged(t, e)
	if n, err := r.Once(e.ctx); err != nil || n != 0 {
		t.Fatalf("reconcile after convergence: %d, %v; want nothing to do", n, err)
	}
}
