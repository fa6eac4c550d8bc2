// Package tunnel is the VEN's end of the VEN channel: one WireGuard
// interface whose only peer is the PCE's hub, with the VEN's tunnel address
// and a route to the hub's.
//
// The interface is the kernel's WireGuard where the kernel has it, and
// wireguard-go on a TUN device in this process otherwise. Either way it is
// configured and read through wgctrl: wireguard-go serves the same UAPI
// socket (/var/run/wireguard/<iface>.sock) that wgctrl and wg(8) use for
// userspace devices, so one code path drives both and operators inspect
// either with `wg show`. In userspace mode wireguard-go's goroutines live
// as long as the Tunnel, which is why the agent keeps it for its lifetime.
//
// What it leaves to others: the keys and addresses come from pairing, and
// the HTTP the agent speaks over the tunnel is its own business. Addresses,
// links and routes are set through netlink rather than by running ip(8):
// a daemon should not depend on a binary's presence or parse its output,
// and netlink reports errors as values it can test (EOPNOTSUPP is how the
// kernel says it has no WireGuard).
package tunnel
