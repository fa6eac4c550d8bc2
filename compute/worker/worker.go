package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// Worker consumes recompute jobs. Any number may run, in any processes:
// the consumer group hands each job to one, a job left unacknowledged by a
// dead worker is reclaimed after ClaimIdle, and the compare-and-set on the
// computed generation keeps the newest result whatever the order.
type Worker struct {
	Name      string // the consumer name: unique per running worker
	Queue     *queue.Queue
	Computer  *Computer // several workers may share one, and its cache
	Log       *slog.Logger
	Metrics   *Metrics      // nil: none
	ClaimIdle time.Duration // default 30 s
	Block     time.Duration // how long one read waits for jobs; default 2 s
}

// Run consumes jobs until ctx ends. A tenant's jobs read together are
// coalesced into one recompute. A failed recompute leaves its jobs
// unacknowledged, to be retried when they are reclaimed.
func (w *Worker) Run(ctx context.Context) error {
	claimIdle, block := w.ClaimIdle, w.Block
	if claimIdle == 0 {
		claimIdle = 30 * time.Second
	}
	if block == 0 {
		block = 2 * time.Second
	}
	for ctx.Err() == nil {
		jobs, err := w.Queue.Read(ctx, w.Name, 256, block, claimIdle)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			w.Log.Error("read recompute jobs", "worker", w.Name, "err", err)
			sleep(ctx, time.Second)
			continue
		}
		w.process(ctx, jobs)
	}
	return nil
}

// process recomputes each tenant named by jobs once, then acknowledges its
// jobs and announces the result.
func (w *Worker) process(ctx context.Context, jobs []queue.Job) {
	byTenant := map[ids.TenantID][]string{}
	var order []ids.TenantID
	for _, j := range jobs {
		if _, seen := byTenant[j.Tenant]; !seen {
			order = append(order, j.Tenant)
		}
		byTenant[j.Tenant] = append(byTenant[j.Tenant], j.ID)
	}
	for _, t := range order {
		if err := w.one(ctx, t, byTenant[t]); err != nil {
			w.Log.Error("recompute", "worker", w.Name, "tenant", t, "err", err)
		}
	}
}

func (w *Worker) one(ctx context.Context, tenant ids.TenantID, jobIDs []string) error {
	start := time.Now()
	res, err := w.Computer.Compute(ctx, tenant)
	if err != nil && !isGone(err) {
		return err // left unacknowledged: retried when reclaimed
	}
	if err := w.Queue.Ack(ctx, jobIDs...); err != nil {
		return err
	}
	switch {
	case err != nil:
		w.Metrics.acked("gone", jobIDs) // a deleted tenant: nothing to announce
		return nil
	case res.Stale:
		w.Metrics.acked("stale", jobIDs) // results already this new
		return nil
	}
	took := time.Since(start)
	w.Metrics.observe(res, took)
	w.Log.Info("computed", "worker", w.Name, "tenant", tenant, "generation", res.Generation, "full", res.Full,
		"documents", len(res.Docs), "sets", len(res.Sets), "affected", len(res.Affected), "jobs", len(jobIDs), "took", took)
	n := queue.Notification{Tenant: tenant, Generation: res.Generation, Workloads: make([]string, len(res.Affected))}
	for i, id := range res.Affected {
		n.Workloads[i] = string(id)
	}
	if err := w.Queue.Done(ctx, n); err != nil {
		return err
	}
	w.Metrics.acked("done", jobIDs)
	return nil
}

// isGone reports whether err says the tenant no longer exists: its jobs
// are done.
func isGone(err error) bool { return usererr.Is(err, usererr.NotFound) }

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
