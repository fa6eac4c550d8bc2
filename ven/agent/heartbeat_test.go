package agent

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func newHeartbeater(t *testing.T) (*Heartbeater, *venAPIStub, *netns) {
	ns := newNetNS(t)
	stub := newVENAPIStub(t)
	h := &Heartbeater{
		Client: NewAPIClient(), Base: stub.srv.URL, Iface: "remora0", Version: "v-test",
		Enforcer: ns.enforcer(t), Enforced: NewEnforced(nil), Interval: 30 * time.Second,
		Clock: &recordingClock{}, Backoff: Backoff{Min: time.Second, Max: 30 * time.Second, Rand: func() float64 { return 0 }},
		Log: testLog(t),
	}
	return h, stub, ns
}

// A heartbeat reports the enforced generation and hash, the firewall's
// counters and the tampers since the last heartbeat that got through; a
// failed one keeps its tampers for the next, and retries sooner than the
// interval. The PCE sets the interval.
func TestHeartbeat(t *testing.T) {
	h, stub, _ := newHeartbeater(t)
	d := doc("wl-1", 5, "10.0.0.5")
	if err := h.Enforcer.Apply(d); err != nil {
		t.Fatal(err)
	}
	h.Enforced.Applied(d)
	h.Enforced.Tampered()
	h.Enforced.Tampered()

	stub.mu.Lock()
	stub.beatStatus = []int{http.StatusOK, http.StatusServiceUnavailable, http.StatusOK}
	stub.mu.Unlock()

	if wait := h.beat(context.Background()); wait != 30*time.Second {
		t.Errorf("wait after a heartbeat %v; want the interval", wait)
	}
	h.Enforced.Tampered()
	if wait := h.beat(context.Background()); wait != 500*time.Millisecond {
		t.Errorf("wait after a failed heartbeat %v; want the first backoff", wait)
	}
	stub.mu.Lock()
	stub.hbReply.HeartbeatSeconds = 7
	stub.mu.Unlock()
	if wait := h.beat(context.Background()); wait != 7*time.Second {
		t.Errorf("wait after the PCE asked for 7 s: %v", wait)
	}

	beats := stub.heartbeats()
	if len(beats) != 3 {
		t.Fatalf("%d heartbeats, want 3", len(beats))
	}
	hb := beats[0]
	if hb.EnforcedGeneration != 5 || hb.EnforcedHash != d.Hash || hb.AgentVersion != "v-test" || hb.Hostname == "" || hb.OS == "" {
		t.Errorf("heartbeat = %+v", hb)
	}
	if hb.Counters.Rules != 1 {
		t.Errorf("counters = %+v; want the document's one rule", hb.Counters)
	}
	if hb.Interfaces == nil {
		t.Error("interfaces = null; want a list")
	}
	for _, ifc := range hb.Interfaces {
		if ifc.Name == "lo" || ifc.Name == h.Iface {
			t.Errorf("reported interface %s", ifc.Name)
		}
	}
	if got := []int{beats[0].Tampered, beats[1].Tampered, beats[2].Tampered}; !slices.Equal(got, []int{2, 1, 1}) {
		t.Errorf("tampered reported %v; want [2 1 1] (the failed heartbeat's count sent again)", got)
	}
	if n := h.Enforced.takeTampered(); n != 0 {
		t.Errorf("%d tampers left unreported", n)
	}
}

// A kick (a tamper, a new generation) sends a heartbeat before the
// interval is up.
func TestHeartbeatKick(t *testing.T) {
	h, stub, _ := newHeartbeater(t)
	h.Clock = SystemClock{}
	h.Interval = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the first heartbeat", func() bool { return len(stub.heartbeats()) == 1 })
	h.Enforced.Tampered()
	waitFor(t, "a heartbeat after the kick", func() bool { return len(stub.heartbeats()) == 2 })
	if hb := stub.heartbeats()[1]; hb.Tampered != 1 {
		t.Errorf("kicked heartbeat reports %d tampers, want 1", hb.Tampered)
	}
}

// The check restores a deleted table, counts the tamper and asks for a
// heartbeat; an intact table is no tamper.
func TestCheckerRestores(t *testing.T) {
	ns := newNetNS(t)
	e := ns.enforcer(t)
	if err := e.Apply(doc("wl-1", 1, "10.0.0.1")); err != nil {
		t.Fatal(err)
	}
	c := &Checker{Enforcer: e, Enforced: NewEnforced(nil), Log: testLog(t)}
	c.check()
	if n := c.Enforced.takeTampered(); n != 0 {
		t.Fatalf("intact table counted as %d tampers", n)
	}
	ns.nft(t, "delete", "table", "inet", "remora")
	c.check()
	if !ns.hasTable(t) || !strings.Contains(ns.nft(t, "list", "table", "inet", "remora"), "10.0.0.1") {
		t.Error("the table was not restored")
	}
	if n := c.Enforced.takeTampered(); n != 1 {
		t.Errorf("%d tampers counted, want 1", n)
	}
	select {
	case <-c.Enforced.kicked():
	default:
		t.Error("a tamper did not ask for a heartbeat")
	}
}
