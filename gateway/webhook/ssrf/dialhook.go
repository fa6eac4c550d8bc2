package ssrf

import "net/netip"

// WithDialHook returns a copy of g that calls hook with every address the
// guard has allowed, just before connecting to it; an error from hook
// stops the connection. Tests of code that delivers through a Guard use it
// to make sure nothing leaves loopback even if the guard were broken (see
// ssrftest.LoopbackOnly). g itself is not changed.
func (g *Guard) WithDialHook(hook func(netip.AddrPort) error) *Guard {
	c := *g
	c.dialHook = hook
	return &c
}
