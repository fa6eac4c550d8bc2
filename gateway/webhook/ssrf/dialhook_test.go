package ssrf

import (
	"errors"
	"net/netip"
	"testing"
)

// TestWithDialHook: the copy calls the hook with each allowed address and
// stops the connection on its error; the original guard is untouched.
func TestWithDialHook(t *testing.T) {
	rcv := newReceiver(t, nil)
	g := &Guard{AllowHTTP: true, Allow: []netip.Prefix{pfx("127.0.0.1/32")}}
	var seen []netip.AddrPort
	stop := errors.New("stopped by the hook")
	hooked := g.WithDialHook(func(ap netip.AddrPort) error {
		seen = append(seen, ap)
		return stop
	})
	if _, err := post(hooked.Client(0), rcv.URL); !errors.Is(err, stop) {
		t.Fatalf("post through the hook: %v, want the hook's error", err)
	}
	if len(seen) != 1 || seen[0].Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("hook saw %v", seen)
	}
	if g.dialHook != nil {
		t.Fatal("WithDialHook changed the original guard")
	}
	if _, err := post(g.Client(0), rcv.URL); err != nil || rcv.hits.Load() != 1 {
		t.Fatalf("the original guard: %v, %d hits", err, rcv.hits.Load())
	}
}
