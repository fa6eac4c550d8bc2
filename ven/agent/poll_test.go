package agent

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// pollerFixture is a Poller against the stub, applying to a namespace's
// firewall with the real enforcer, its state in a temporary directory.
type pollerFixture struct {
	p     *Poller
	stub  *venAPIStub
	ns    *netns
	clock *recordingClock
}

func newPoller(t *testing.T) *pollerFixture {
	ns := newNetNS(t)
	stub := newVENAPIStub(t)
	clock := &recordingClock{}
	p := &Poller{
		Client: NewAPIClient(), Base: stub.srv.URL, Workload: "wl-1", Dir: t.TempDir(),
		Enforcer: ns.enforcer(t), Enforced: NewEnforced(nil), Clock: clock,
		Backoff:      Backoff{Min: time.Second, Max: 30 * time.Second, Rand: func() float64 { return 0.5 }},
		NotFoundWait: 3 * time.Second, Log: testLog(t),
	}
	return &pollerFixture{p: p, stub: stub, ns: ns, clock: clock}
}

func (f *pollerFixture) step(t *testing.T) (time.Duration, error) {
	t.Helper()
	return f.p.step(context.Background())
}

func (f *pollerFixture) saved(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(f.p.Dir, PolicyFile))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The protocol: have is the generation enforced; a 200 is applied, saved
// and becomes the new have; a 304 polls again at once; a 404 waits.
func TestPollProtocol(t *testing.T) {
	f := newPoller(t)
	d := doc("wl-1", 3, "10.0.0.3")
	f.stub.answer(ok(raw(t, d)), notModified, notFound)

	if wait, err := f.step(t); err != nil || wait != 0 {
		t.Fatalf("step with a document: wait %v, %v", wait, err)
	}
	if gen, hash := f.p.Enforced.Current(); gen != 3 || hash != d.Hash {
		t.Errorf("enforced %d %s; want 3 %s", gen, hash, d.Hash)
	}
	if f.saved(t) != string(raw(t, d)) {
		t.Errorf("saved policy = %s", f.saved(t))
	}
	if table := f.ns.nft(t, "list", "table", "inet", "remora"); !strings.Contains(table, "10.0.0.3") {
		t.Errorf("table lacks the document's set:\n%s", table)
	}
	select {
	case <-f.p.Enforced.kicked():
	default:
		t.Error("a new generation did not ask for a heartbeat")
	}

	if wait, err := f.step(t); err != nil || wait != 0 {
		t.Errorf("step with 304: wait %v, %v; want to poll again at once", wait, err)
	}
	if wait, err := f.step(t); err != nil || wait != 3*time.Second {
		t.Errorf("step with 404: wait %v, %v; want NotFoundWait", wait, err)
	}
	if got := f.stub.polled(); !slices.Equal(got, []uint64{0, 3, 3}) {
		t.Errorf("have sent = %v; want [0 3 3]", got)
	}
}

// A document that is not ours, not intact, or that the firewall refuses
// leaves the previous one in force (firewall, saved file, generation) and
// is retried after a backoff with the same have.
func TestPollRefusesBadDocuments(t *testing.T) {
	prev := doc("wl-1", 2, "10.0.0.2")
	mismatch := doc("wl-1", 3, "10.0.0.3")
	mismatch.Sets[0].Prefixes[0] = netip.MustParsePrefix("10.0.0.99/32") // content changed, hash kept
	bogus := doc("wl-1", 3, "10.0.0.3")
	bogus.Mode = "permissive" // verifies (its hash is right) but enforce refuses it
	bogus.Normalize()

	for _, tt := range []struct {
		name string
		body []byte
		want string
	}{
		{"other workload", raw(t, doc("wl-2", 3, "10.0.0.3")), `for workload "wl-2"`},
		{"hash mismatch", raw(t, mismatch), "does not match its content"},
		{"apply fails", raw(t, bogus), "enforcement_mode"},
		{"not json", []byte("<html>"), "decode"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newPoller(t)
			f.stub.answer(ok(raw(t, prev)), ok(tt.body), ok(tt.body))
			if _, err := f.step(t); err != nil {
				t.Fatal(err)
			}
			ruleset := f.ns.ruleset(t)
			saved := f.saved(t)

			for range 2 {
				wait, err := f.step(t)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("step: %v; want an error saying %q", err, tt.want)
				}
				if wait < 500*time.Millisecond {
					t.Errorf("retry in %v; want a backoff", wait)
				}
			}
			if gen, _ := f.p.Enforced.Current(); gen != 2 {
				t.Errorf("enforced generation %d; want 2 still", gen)
			}
			if f.saved(t) != saved {
				t.Error("the saved policy changed")
			}
			if after := f.ns.ruleset(t); after != ruleset {
				t.Errorf("the firewall changed:\n%s", after)
			}
			if got := f.stub.polled(); !slices.Equal(got, []uint64{0, 2, 2}) {
				t.Errorf("have sent = %v; want [0 2 2]", got)
			}
		})
	}
}

// Errors back off exponentially (1, 2, 4, 8 s with the jitter's midpoint
// giving ¾ of each) and a success starts the sequence again.
func TestPollBackoff(t *testing.T) {
	f := newPoller(t)
	d := doc("wl-1", 1, "10.0.0.1")
	f.stub.answer(serverError, serverError, serverError, serverError, ok(raw(t, d)), serverError)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.p.Run(ctx); close(done) }()
	waitFor(t, "the poller to reach the end of the script", func() bool { return len(f.stub.polled()) == 7 })
	cancel()
	<-done

	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	want := []time.Duration{ms(750), ms(1500), ms(3000), ms(6000), ms(750)}
	if got := f.clock.recorded(); !slices.Equal(got, want) {
		t.Errorf("waits = %v; want %v", got, want)
	}
	if got := f.stub.polled(); !slices.Equal(got, []uint64{0, 0, 0, 0, 0, 1, 1}) {
		t.Errorf("have sent = %v", got)
	}
	if gen, _ := f.p.Enforced.Current(); gen != 1 {
		t.Errorf("enforced generation %d, want 1", gen)
	}
}

// A PCE that does not answer at all makes the poller ask for a fresh
// tunnel session; one that answers with an error does not.
func TestPollUnreachable(t *testing.T) {
	f := newPoller(t)
	resets := 0
	f.p.Unreachable = func() { resets++ }
	f.stub.answer(serverError)
	if _, err := f.step(t); err == nil || resets != 0 {
		t.Fatalf("500: err %v, %d resets; want an error and no reset", err, resets)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	f.p.Base = dead.URL
	if _, err := f.step(t); !errors.Is(err, errUnreachable) || resets != 1 {
		t.Fatalf("no server: err %v, %d resets; want unreachable and one reset", err, resets)
	}
}

// blockingClock records the waits asked of it and never ends them.
type blockingClock struct{ recordingClock }

func (c *blockingClock) After(d time.Duration) <-chan time.Time {
	c.recordingClock.After(d)
	return nil
}

// A poller backing off from an unreachable PCE polls at once when a
// heartbeat learns that the PCE is back with a newer generation.
func TestPollBehindCutsBackoff(t *testing.T) {
	f := newPoller(t)
	clock := &blockingClock{}
	f.p.Clock = clock
	f.stub.mu.Lock()
	f.stub.drop = 1
	f.stub.mu.Unlock()
	f.stub.answer(ok(raw(t, doc("wl-1", 4, "10.0.0.4"))))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor(t, "the poller to back off", func() bool { return len(clock.recorded()) == 1 })
	f.p.Enforced.Behind()
	waitFor(t, "generation 4 after the PCE came back", func() bool { gen, _ := f.p.Enforced.Current(); return gen == 4 })
}
