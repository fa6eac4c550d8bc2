package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// resolveTimeout bounds the look-up of a hub endpoint given by name.
const resolveTimeout = 5 * time.Second

// lookupEndpoint resolves hostport (an address or a DNS name, and a port)
// to one address, preferring IPv4 when a name has both: the hub's socket
// is more often reachable over IPv4.
func lookupEndpoint(ctx context.Context, hostport string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("hub endpoint %q: %w", hostport, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, fmt.Errorf("hub endpoint %q: port %q is not a port", hostport, portStr)
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("resolve hub endpoint %q: %w", hostport, err)
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, fmt.Errorf("resolve hub endpoint %q: no address", hostport)
	}
	best := ips[0].Unmap()
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			best = ip.Unmap()
			break
		}
	}
	return netip.AddrPortFrom(best, uint16(port)), nil
}

// ResolveEndpoint returns the hub's UDP endpoint for this start: State's
// HubEndpoint resolved once (names are looked up with a short time-out),
// or, when that fails, the address it resolved to when pairing. A name
// that now resolves elsewhere is recorded in the state file, so that the
// next start exempts the new address in the firewall without waiting for
// DNS.
func ResolveEndpoint(ctx context.Context, dir string, s *State, log *slog.Logger) (netip.AddrPort, error) {
	ep, err := lookupEndpoint(ctx, s.HubEndpoint)
	if err != nil {
		if s.HubEndpointAddr.IsValid() {
			log.Warn("hub endpoint does not resolve; using the address it had when paired",
				"endpoint", s.HubEndpoint, "addr", s.HubEndpointAddr, "err", err)
			return s.HubEndpointAddr, nil
		}
		return netip.AddrPort{}, err
	}
	if ep != s.HubEndpointAddr {
		if s.HubEndpointAddr.IsValid() {
			log.Info("hub endpoint moved", "endpoint", s.HubEndpoint, "was", s.HubEndpointAddr, "now", ep)
		}
		s.HubEndpointAddr = ep
		if err := SaveState(dir, s); err != nil {
			log.Warn("could not record the hub endpoint's new address", "err", err)
		}
	}
	return ep, nil
}
