package tunnel

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// createLink creates the interface: a kernel WireGuard link if the kernel
// has WireGuard, else a TUN device driven by wireguard-go in this process
// (returned; nil in kernel mode). A leftover interface of the same name from
// an earlier run is removed first.
func createLink(c Config) (*userspace, error) {
	if err := removeStale(c.Iface); err != nil {
		return nil, err
	}
	err := netlink.LinkAdd(&netlink.Wireguard{LinkAttrs: netlink.LinkAttrs{Name: c.Iface, MTU: c.MTU}})
	switch {
	case err == nil:
		return nil, nil
	case errors.Is(err, unix.EOPNOTSUPP):
		// The kernel has no "wireguard" link type (no module, or built
		// without it): run wireguard-go instead.
		c.Logger.Info("kernel has no WireGuard; using wireguard-go", "iface", c.Iface)
		return startUserspace(c)
	default:
		return nil, fmt.Errorf("tunnel: create WireGuard link %s: %w", c.Iface, err)
	}
}

// removeStale deletes an interface named iface left by an earlier run (a
// crashed agent's kernel link, or a persistent TUN device). It refuses to
// touch an interface of another kind, which is not the agent's to delete,
// and a userspace device whose UAPI socket still answers, which belongs to
// a running process (another agent, or a VEN in another namespace using the
// same name).
func removeStale(iface string) error {
	sock := "/var/run/wireguard/" + iface + ".sock"
	if c, err := net.Dial("unix", sock); err == nil {
		c.Close()
		return fmt.Errorf("tunnel: %s is in use by a running WireGuard process (its socket %s answers)", iface, sock)
	}
	link, err := netlink.LinkByName(iface)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tunnel: look up %s: %w", iface, err)
	}
	if t := link.Type(); t != "wireguard" && t != "tuntap" {
		return fmt.Errorf("tunnel: %s exists and is a %q interface, not WireGuard; not deleting it", iface, t)
	}
	if err := netlink.LinkDel(link); err != nil {
		return fmt.Errorf("tunnel: delete stale %s: %w", iface, err)
	}
	return nil
}

// deleteLink removes the interface if it is still there.
func deleteLink(iface string) error {
	link, err := netlink.LinkByName(iface)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil
	}
	if err == nil {
		err = netlink.LinkDel(link)
	}
	// ENODEV: the link went between the look-up and the delete, as a TUN
	// device does once wireguard-go has closed it.
	if err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("tunnel: delete %s: %w", iface, err)
	}
	return nil
}
