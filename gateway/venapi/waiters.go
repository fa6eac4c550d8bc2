package venapi

import (
	"context"
	"log/slog"
	"sync"

	"github.com/remora-sec/remora/compute/queue"
	"github.com/remora-sec/remora/infra/ids"
)

// Waiters are the policy polls waiting for a workload's results to change.
// A notification wakes the polls of the workloads it names (or of the
// whole tenant when it says All); each woken poll re-reads its document,
// so a spurious wake-up costs one read and a missed one at most a poll
// timeout. Safe for concurrent use.
type Waiters struct {
	mu sync.Mutex
	m  map[ids.TenantID]map[string]map[chan struct{}]bool
}

// NewWaiters returns an empty set of waiters.
func NewWaiters() *Waiters {
	return &Waiters{m: make(map[ids.TenantID]map[string]map[chan struct{}]bool)}
}

// wait registers a poll on workload; the channel is closed when a
// notification names it. Call done when the poll ends.
func (w *Waiters) wait(tenant ids.TenantID, workload string) (ch chan struct{}, done func()) {
	ch = make(chan struct{})
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m[tenant] == nil {
		w.m[tenant] = make(map[string]map[chan struct{}]bool)
	}
	if w.m[tenant][workload] == nil {
		w.m[tenant][workload] = make(map[chan struct{}]bool)
	}
	w.m[tenant][workload][ch] = true
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if set := w.m[tenant][workload]; set[ch] {
			delete(set, ch)
			if len(set) == 0 {
				delete(w.m[tenant], workload)
			}
			if len(w.m[tenant]) == 0 {
				delete(w.m, tenant)
			}
		}
	}
}

// Notify wakes the polls n names.
func (w *Waiters) Notify(n queue.Notification) {
	w.mu.Lock()
	defer w.mu.Unlock()
	byWorkload := w.m[n.Tenant]
	wake := func(wl string) {
		for ch := range byWorkload[wl] {
			close(ch)
		}
		delete(byWorkload, wl)
	}
	if n.All {
		for wl := range byWorkload {
			wake(wl)
		}
	} else {
		for _, wl := range n.Workloads {
			wake(wl)
		}
	}
	if len(byWorkload) == 0 {
		delete(w.m, n.Tenant)
	}
}

// Run feeds the compute workers' notifications to w until ctx ends.
func (w *Waiters) Run(ctx context.Context, q *queue.Queue, log *slog.Logger) {
	sub := q.Subscribe(ctx)
	defer sub.Close()
	msgs := sub.Channel() // go-redis reconnects and resubscribes by itself
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-msgs:
			if !ok {
				return
			}
			n, err := queue.Parse(msg.Payload)
			if err != nil {
				log.Warn("ignored a malformed compute notification", "err", err)
				continue
			}
			w.Notify(n)
		}
	}
}
