package worker_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/remora-sec/remora/compute/policy"

	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/compute/worker"
	"github.com/remora-sec/remora/infra/redisx/redistest"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// start runs a worker until the test ends.
func start(t testing.TB, e *env, q *queue.Queue, name string, claimIdle time.Duration) {
	startWith(t, e, q, name, claimIdle, nil)
}

// startWith is start with metrics.
func startWith(t testing.TB, e *env, q *queue.Queue, name string, claimIdle time.Duration, m *worker.Metrics) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	c := &worker.Computer{Policy: e.ps, Docs: e.ds, Cache: worker.NewCache(4)}
	w := &worker.Worker{Name: name, Queue: q, Computer: c, Log: quiet, Metrics: m, ClaimIdle: claimIdle, Block: 100 * time.Millisecond}
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

// TestNotificationAndMetrics: a workload moving announces the workloads
// whose documents changed (it, and the db workloads whose set of allowed
// sources it is in), and the worker's series count the job.
func TestNotificationAndMetrics(t *testing.T) {
	e := newEnv(t)
	rdb, prefix := redistest.New(t)
	q := queue.New(rdb, prefix)
	ws := e.world(t, 10) // web: even, db: odd
	reg := prometheus.NewRegistry()
	startWith(t, e, q, "w", time.Minute, worker.NewMetrics(reg, q))
	sub := q.Subscribe(e.ctx)
	defer sub.Close()
	if _, err := sub.Receive(e.ctx); err != nil {
		t.Fatal(err)
	}
	next := func() queue.Notification {
		t.Helper()
		ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
		defer cancel()
		m, err := sub.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := queue.Parse(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := q.Enqueue(e.ctx, e.tenant, "test"); err != nil {
		t.Fatal(err)
	}
	if n := next(); len(n.Workloads) != 10 {
		t.Fatalf("first computation announced %v, want all 10 workloads", n.Workloads)
	}
	w := policy.Workload{ID: ws[0], Name: "w0", Mode: policy.Full, Labels: nil,
		Interfaces: []policy.Interface{{Name: "eth0", Addresses: []string{"10.4.0.1"}}}}
	web, _ := e.ps.GetWorkload(e.ctx, e.tenant, string(ws[0]))
	w.Labels = web.Labels
	if _, err := e.ps.UpdateWorkloads(e.ctx, e.tenant, []policy.Workload{w}, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(e.ctx, e.tenant, "test"); err != nil {
		t.Fatal(err)
	}
	n := next()
	want := []string{}
	for i := 1; i < len(ws); i += 2 {
		want = append(want, string(ws[i]))
	}
	slices.Sort(want)
	if n.Tenant != e.tenant || n.All || !slices.Equal(n.Workloads, want) {
		t.Fatalf("after a web workload moved: %+v; want the db workloads %v (the web one's own document is unchanged)", n, want)
	}

	body := scrape(t, reg)
	for _, line := range []string{
		`remora_compute_jobs_total{result="done"} 2`,
		`remora_compute_job_latency_seconds_count 2`,
		`remora_compute_seconds_count{kind="full"} 1`,
		`remora_compute_seconds_count{kind="incremental"} 1`,
		`remora_compute_written_total{kind="documents"} 10`,
		`remora_compute_written_total{kind="sets"} 2`,
		`remora_compute_queue_length 2`,
		`remora_compute_queue_pending 0`,
		`remora_compute_queue_lag 0`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}
}

// scrape returns reg's series in the text format.
func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}
