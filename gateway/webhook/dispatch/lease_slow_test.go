package dispatch_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/gateway/webhook/dispatch"
	"github.com/remora-sec/remora/infra/ids"
)

// slowReads delays the dispatcher's read of the webhook (a busy pool, a
// slow database): nothing bounds deliver's work before send by the lease.
type slowReads struct {
	dispatch.Tenants
	delay   time.Duration
	entered chan struct{}
	once    sync.Once
}

func (s *slowReads) InTenantRead(ctx context.Context, id ids.TenantID, fn func(pgx.Tx) error) error {
	s.once.Do(func() { close(s.entered) })
	time.Sleep(s.delay)
	return s.Tenants.InTenantRead(ctx, id, fn)
}

// TestSlowReadNeverSendsPastLease: a dispatcher whose webhook read takes
// longer than its lease leaves what is left to the lease instead of
// sending while another dispatcher, which claimed the delivery meanwhile,
// sends it: a delivery is never in flight twice at once.
func TestSlowReadNeverSendsPastLease(t *testing.T) {
	e := newEnv(t)
	tenant := e.tenant()
	var inFlight, maxInFlight atomic.Int32
	rc := newReceiver(t, func(int, request) int {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
		inFlight.Add(-1)
		return http.StatusNoContent
	})
	h, key := e.hook(tenant, rc.URL+"/hook")
	rc.setKey(key)
	e.emit(tenant, 1)

	slow := &slowReads{Tenants: e.ts, delay: 1000 * time.Millisecond, entered: make(chan struct{})}
	a := e.dispatcher("1m")
	a.Tenants, a.Timeout, a.Lease = slow, 600*time.Millisecond, 700*time.Millisecond
	run(t, a)
	<-slow.entered
	b := e.dispatcher("1m")
	b.Timeout, b.Lease = 600*time.Millisecond, 700*time.Millisecond
	run(t, b)
	time.Sleep(2500 * time.Millisecond)
	if m := maxInFlight.Load(); m > 1 {
		t.Errorf("delivery %s was in flight %d times at once (%d requests)", h.ID, m, len(rc.requests()))
	}
}
