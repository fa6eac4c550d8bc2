package dispatch_test

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/gateway/webhook/hookstore"
	"github.com/remora-sec/remora/gateway/webhook/ssrf"
	"github.com/remora-sec/remora/gateway/webhook/ssrf/ssrftest"
)

// TestSSRFAtDelivery is the SSRF matrix at delivery: webhooks
// saved while their targets were allowed (an allowlist since shrunk, a
// name that resolved to a public address then) are refused at the dial,
// every attempt logged with the guard's reason, and nothing is sent.
func TestSSRFAtDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tenant := e.tenant()
	hits := newReceiver(t, nil)
	_, port, _ := net.SplitHostPort(hits.Listener.Addr().String())

	// Saved under an allowlist of everything.
	lenient := &ssrf.Guard{AllowHTTP: true, Allow: []netip.Prefix{pfx("0.0.0.0/0"), pfx("::/0")}, Resolver: e.dns.Resolver()}
	saveWith := hookstore.New(e.ts, lenient)
	cases := []struct{ host, reason string }{
		{"127.0.0.1", "a loopback address"},
		{"10.0.0.1", "a private address"},
		{"169.254.169.254", "the cloud metadata address"},
		{"[::1]", "a loopback address"},
		{"[fd00::1]", "a private (unique local) address"},
		{"private.test", "a private address"},   // resolves to 10.0.0.1 by delivery
		{"rebound.test", "a loopback address"},  // public when saved, 127.0.0.1 by delivery
		{"rebound6.test", "a loopback address"}, // public when saved, ::1 by delivery
	}
	e.dns.Set("private.test", "10.0.0.1")
	for _, name := range []string{"rebound.test", "rebound6.test"} {
		e.dns.Set(name, "93.184.216.34")
	}
	hookOf := map[string]string{}
	for _, c := range cases {
		url := "http://" + c.host + ":" + port + "/hook"
		w, _, err := saveWith.Create(context.Background(), tenant, hookstore.Input{URL: url, EventTypes: []string{"test.*"}, Enabled: true})
		if err != nil {
			t.Fatalf("saving %s: %v", url, err)
		}
		hookOf[c.host] = w.ID
	}
	e.dns.Set("rebound.test", "127.0.0.1")
	e.dns.Set("rebound6.test", "::1")
	e.emit(tenant, 1)

	// The server's guard: http allowed, no allowlist.
	d := e.dispatcher("50ms")
	d.Guard = (&ssrf.Guard{AllowHTTP: true, Resolver: e.dns.Resolver()}).WithDialHook(ssrftest.LoopbackOnly(t))
	run(t, d)
	for _, c := range cases {
		t.Run(c.host, func(t *testing.T) {
			waitFor(t, 10*time.Second, "the delivery to fail", e.settled(hookOf[c.host], 1, "failed"))
			as := e.deliveries(hookOf[c.host])[0].Attempts
			if len(as) != 2 {
				t.Fatalf("%d attempts, want 2 (the schedule's)", len(as))
			}
			for _, a := range as {
				if a.StatusCode != nil || !strings.Contains(a.Error, "refused by the SSRF guard") || !strings.Contains(a.Error, c.reason) {
					t.Errorf("attempt %+v, want refused as %s", a, c.reason)
				}
				// The tenant learns that its host is refused, not where
				// our resolver sent it.
				if strings.Contains(a.Error, "10.0.0.1") || strings.Contains(a.Error, "127.0.0.1") || strings.Contains(a.Error, "::1") {
					t.Errorf("attempt error %q shows an address", a.Error)
				}
			}
		})
	}
	if n := len(hits.requests()); n != 0 {
		t.Fatalf("the receiver got %d requests, want none", n)
	}
}
