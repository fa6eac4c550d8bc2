package dispatch_test

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remora-sec/remora/gateway/webhook/ssrf/ssrftest"
)

// TestDispatcherStoppedMidDelivery: a dispatcher stopped while its
// receiver is still answering leaves the delivery leased; once the lease
// runs out another dispatcher delivers it, with the same webhook-id, and
// not before.
func TestDispatcherStoppedMidDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant()
	arrived, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	rc := newReceiver(t, func(n int, r request) int {
		if n == 1 {
			first.Do(func() { close(arrived) })
			<-release // hangs until the test ends; the dispatcher gives up first
		}
		return http.StatusNoContent
	})
	t.Cleanup(func() { close(release) })
	h, key := e.hook(tenant, rc.URL+"/hook")
	rc.setKey(key)
	e.emit(tenant, 1)

	const lease = 1500 * time.Millisecond
	d1 := e.dispatcher("1m")
	d1.Timeout, d1.Lease = time.Second, lease
	stop1 := run(t, d1)
	<-arrived
	claimed := time.Now()
	stop1() // mid-delivery: the answer never came
	if ds := e.deliveries(h.ID); ds[0].Status != "pending" || len(ds[0].Attempts) != 0 {
		t.Fatalf("after the stop: %+v, want pending with no attempt logged", ds[0])
	}

	d2 := e.dispatcher("1m")
	d2.Timeout, d2.Lease = time.Second, lease
	run(t, d2)
	waitFor(t, 10*time.Second, "the delivery", e.settled(h.ID, 1, "delivered"))
	reqs := rc.requests()
	if len(reqs) != 2 || reqs[0].ID != reqs[1].ID || reqs[1].Err != nil {
		t.Fatalf("receiver got %d requests (%+v), want the same delivery twice, signed", len(reqs), reqs)
	}
	if gap := reqs[1].At.Sub(claimed); gap < lease-200*time.Millisecond {
		t.Errorf("redelivered %s after the first claim, before the %s lease ran out", gap, lease)
	}
	d := e.deliveries(h.ID)[0]
	if d.ID != reqs[0].ID || len(d.Attempts) != 1 || d.Attempts[0].Number != 2 || *d.Attempts[0].StatusCode != 204 {
		t.Errorf("delivery %+v, want attempt 2 logged as delivered", d)
	}
}

// TestTwoDispatchers: two dispatchers of four workers share one queue;
// no delivery is ever in flight twice at once, each is delivered once,
// and both dispatchers took part.
func TestTwoDispatchers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant()
	var (
		mu       sync.Mutex
		inFlight = map[string]int{}
		overlaps []string
	)
	rc := newReceiver(t, func(_ int, r request) int {
		mu.Lock()
		inFlight[r.ID]++
		if inFlight[r.ID] > 1 {
			overlaps = append(overlaps, r.ID)
		}
		mu.Unlock()
		time.Sleep(2 * time.Millisecond) // widen the window a double send would need
		mu.Lock()
		inFlight[r.ID]--
		mu.Unlock()
		return http.StatusNoContent
	})
	h, key := e.hook(tenant, rc.URL+"/hook")
	rc.setKey(key)
	const n = 80
	e.emit(tenant, n)

	var dials [2]atomic.Int32
	for i := range dials {
		d := e.dispatcher("1m")
		loopbackOnly := ssrftest.LoopbackOnly(t)
		d.Guard = d.Guard.WithDialHook(func(ap netip.AddrPort) error {
			dials[i].Add(1)
			return loopbackOnly(ap)
		})
		run(t, d)
	}
	waitFor(t, 30*time.Second, "every delivery", e.settled(h.ID, n, "delivered"))

	got := map[string]int{}
	for _, r := range rc.requests() {
		got[r.ID]++
		if r.Err != nil {
			t.Errorf("request %s: %v", r.ID, r.Err)
		}
	}
	if len(got) != n {
		t.Errorf("%d distinct deliveries received, want %d", len(got), n)
	}
	for id, c := range got {
		if c != 1 {
			t.Errorf("delivery %s received %d times", id, c)
		}
	}
	if len(overlaps) > 0 {
		t.Errorf("%d times a delivery was in flight twice at once, e.g. %v", len(overlaps), overlaps[:min(3, len(overlaps))])
	}
	if dials[0].Load() == 0 || dials[1].Load() == 0 {
		t.Errorf("connections per dispatcher %d, %d: want both to deliver", dials[0].Load(), dials[1].Load())
	}
}

// TestTenantIsolation: each tenant's receiver gets its own tenant's
// events and none of the other's, signed with its own webhook's secret.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.tenant(), e.tenant()
	ra, rb := newReceiver(t, nil), newReceiver(t, nil)
	ha, ka := e.hook(a, ra.URL+"/a", "*")
	hb, kb := e.hook(b, rb.URL+"/b", "*")
	ra.setKey(ka)
	rb.setKey(kb)
	evA, evB := e.emit(a, 4), e.emit(b, 3)
	run(t, e.dispatcher("1m"))
	// Each webhook also gets its own webhook.created event.
	waitFor(t, 15*time.Second, "tenant A's deliveries", e.settled(ha.ID, 5, "delivered"))
	waitFor(t, 15*time.Second, "tenant B's deliveries", e.settled(hb.ID, 4, "delivered"))

	for _, c := range []struct {
		name          string
		rc            *receiver
		mine, theirs  []string
		theirsHook    string
		mineDelivered int
	}{{"A", ra, evA, evB, hb.ID, 5}, {"B", rb, evB, evA, ha.ID, 4}} {
		reqs := c.rc.requests()
		if len(reqs) != c.mineDelivered {
			t.Errorf("tenant %s's receiver got %d requests, want %d", c.name, len(reqs), c.mineDelivered)
		}
		for _, r := range reqs {
			if r.Err != nil {
				t.Errorf("tenant %s: a request not signed with its own secret: %v", c.name, r.Err)
			}
			for _, id := range append(c.theirs, c.theirsHook) {
				if containsBytes(r.Body, id) {
					t.Errorf("tenant %s's receiver got the other tenant's %s", c.name, id)
				}
			}
		}
		for _, id := range c.mine {
			if !anyContains(reqs, id) {
				t.Errorf("tenant %s's receiver never got its event %s", c.name, id)
			}
		}
	}
}

func containsBytes(b []byte, s string) bool { return strings.Contains(string(b), s) }

func anyContains(reqs []request, s string) bool {
	for _, r := range reqs {
		if strings.Contains(string(r.Body), s) {
			return true
		}
	}
	return false
}
