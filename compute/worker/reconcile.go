package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// Reconciler re-enqueues every tenant whose computed generation lags its
// desired one: a job lost with Redis, or never sent because the process
// died between commit and enqueue, is found here. Postgres is the truth.
type Reconciler struct {
	Tenants interface {
		TenantIDs(context.Context) ([]ids.TenantID, error)
	}
	Policy   *policystore.Store
	Queue    *queue.Queue
	Log      *slog.Logger
	Interval time.Duration // default 30 s
}

// Once checks every tenant once and returns how many it re-enqueued.
func (r *Reconciler) Once(ctx context.Context) (int, error) {
	tids, err := r.Tenants.TenantIDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	n := 0
	for _, t := range tids {
		g, err := r.Policy.Generations(ctx, t)
		if usererr.Is(err, usererr.NotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return n, fmt.Errorf("reconcile: %w", err)
		}
		if g.Computed < g.Desired {
			if err := r.Queue.Enqueue(ctx, t, "reconcile"); err != nil {
				return n, fmt.Errorf("reconcile: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// Run calls Once every Interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context) {
	every := r.Interval
	if every == 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.Log.Error("reconcile", "err", err)
		} else if n > 0 {
			r.Log.Info("reconcile re-enqueued lagging tenants", "tenants", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
