package tunnel

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// configureLink gives the interface its MTU and address (old holds the
// address of an earlier configuration, removed if it differs), sets it up,
// and routes want through it, removing the routes of old that want no
// longer has. Every step is a replace, so it can run again on a configured
// interface.
func configureLink(c, old Config) error {
	link, err := netlink.LinkByName(c.Iface)
	if err != nil {
		return fmt.Errorf("tunnel: look up %s: %w", c.Iface, err)
	}
	if err := netlink.LinkSetMTU(link, c.MTU); err != nil {
		return fmt.Errorf("tunnel: set MTU of %s to %d: %w", c.Iface, c.MTU, err)
	}
	addr := &netlink.Addr{IPNet: new(ipNet(c.Address))}
	if err := netlink.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("tunnel: set address %s on %s: %w", c.Address, c.Iface, err)
	}
	if old.Address.IsValid() && old.Address != c.Address {
		err := netlink.AddrDel(link, &netlink.Addr{IPNet: new(ipNet(old.Address))})
		if err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return fmt.Errorf("tunnel: remove old address %s from %s: %w", old.Address, c.Iface, err)
		}
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("tunnel: set %s up: %w", c.Iface, err)
	}
	for _, p := range c.Hub.AllowedIPs {
		r := route(link, p)
		if err := netlink.RouteReplace(r); err != nil {
			return fmt.Errorf("tunnel: route %s via %s: %w", p, c.Iface, err)
		}
	}
	for _, p := range old.Hub.AllowedIPs {
		if slices.Contains(c.Hub.AllowedIPs, p) {
			continue
		}
		err := netlink.RouteDel(route(link, p))
		if err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("tunnel: remove route %s via %s: %w", p, c.Iface, err)
		}
	}
	return nil
}

// route is a direct route to p through link: the tunnel is point to point,
// so there is no gateway.
func route(link netlink.Link, p netip.Prefix) *netlink.Route {
	return &netlink.Route{
		LinkIndex: link.Attrs().Index,
		Dst:       new(ipNet(p)),
		Scope:     netlink.SCOPE_LINK,
	}
}
