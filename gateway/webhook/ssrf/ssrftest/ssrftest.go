// Package ssrftest helps tests of code that delivers webhooks through an
// ssrf.Guard: a tiny DNS server whose answers a test changes between two
// lookups (what DNS rebinding looks like from our side), and a dial hook
// that refuses, and reports, any connection off loopback. The workplace
// allows test traffic to loopback only; a broken guard must fail the test,
// not reach another host.
//
// It does not import package ssrf, so that package's own tests can use it.
package ssrftest

import (
	"fmt"
	"net/netip"
	"testing"
)

// LoopbackOnly returns a hook for ssrf.Guard.WithDialHook under which a
// connection to anything but a loopback address fails t and is not made:
//
//	g = g.WithDialHook(ssrftest.LoopbackOnly(t))
func LoopbackOnly(t testing.TB) func(netip.AddrPort) error {
	return func(ap netip.AddrPort) error {
		if !ap.Addr().Unmap().IsLoopback() {
			t.Errorf("ssrftest: the guard allowed a connection to %s", ap)
			return fmt.Errorf("ssrftest: not connecting to %s, off loopback", ap)
		}
		return nil
	}
}
