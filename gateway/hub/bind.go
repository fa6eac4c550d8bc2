package hub

import (
	"fmt"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/conn"
)

// newBind returns the UDP side of the hub for addr. conn.StdNetBind, with its
// batched reads and segmentation offloads, listens on every address of both
// families and cannot be told otherwise; so for an unspecified addr the hub
// uses it, and for a specific one (a PCE with a public and a private leg,
// or a test that must stay on its own veth) it uses addrBind.
func newBind(addr netip.Addr) conn.Bind {
	if addr.IsUnspecified() {
		return conn.NewStdNetBind()
	}
	return &addrBind{addr: addr.Unmap()}
}

// addrBind is a conn.Bind on one UDP socket bound to one address. It moves
// one datagram per system call, which is plenty for a control channel whose
// peers mostly long-poll.
type addrBind struct {
	addr netip.Addr

	mu sync.Mutex
	c  *net.UDPConn // nil while closed
}

var _ conn.Bind = (*addrBind)(nil)

// Open binds addr:port; wireguard-go calls it when the device comes up and
// again whenever the listen port changes.
func (b *addrBind) Open(port uint16) ([]conn.ReceiveFunc, uint16, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c != nil {
		return nil, 0, conn.ErrBindAlreadyOpen
	}
	network := "udp4"
	if b.addr.Is6() {
		network = "udp6"
	}
	c, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(b.addr, port)))
	if err != nil {
		return nil, 0, fmt.Errorf("hub: bind: %w", err)
	}
	b.c = c
	actual := c.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	return []conn.ReceiveFunc{receiveFrom(c)}, actual, nil
}

// receiveFrom reads one datagram per call. After Close, reads fail with an
// error wrapping net.ErrClosed, which is what stops wireguard-go's receive
// routine.
func receiveFrom(c *net.UDPConn) conn.ReceiveFunc {
	return func(packets [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
		n, from, err := c.ReadFromUDPAddrPort(packets[0])
		if err != nil {
			return 0, err
		}
		sizes[0] = n
		eps[0] = &conn.StdNetEndpoint{AddrPort: netip.AddrPortFrom(from.Addr().Unmap(), from.Port())}
		return 1, nil
	}
}

// Close closes the socket; a closed bind may be opened again.
func (b *addrBind) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c == nil {
		return nil
	}
	err := b.c.Close()
	b.c = nil
	return err
}

// SetMark sets SO_MARK, for operators who route the hub's traffic by fwmark
// (`wg set <name> fwmark N`).
func (b *addrBind) SetMark(mark uint32) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c == nil {
		return nil // wireguard-go sets the mark again after each Open
	}
	rc, err := b.c.SyscallConn()
	if err != nil {
		return fmt.Errorf("hub: bind: set mark: %w", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(mark))
	}); err != nil {
		return fmt.Errorf("hub: bind: set mark: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("hub: bind: set mark: %w", serr)
	}
	return nil
}

// Send writes each buffer as one datagram to ep.
func (b *addrBind) Send(bufs [][]byte, ep conn.Endpoint) error {
	se, ok := ep.(*conn.StdNetEndpoint)
	if !ok {
		return conn.ErrWrongEndpointType
	}
	b.mu.Lock()
	c := b.c
	b.mu.Unlock()
	if c == nil {
		return net.ErrClosed
	}
	for _, buf := range bufs {
		if _, err := c.WriteToUDPAddrPort(buf, se.AddrPort); err != nil {
			return fmt.Errorf("hub: bind: send to %s: %w", se.AddrPort, err)
		}
	}
	return nil
}

// ParseEndpoint parses "ip:port", as written in a UAPI endpoint= line.
func (b *addrBind) ParseEndpoint(s string) (conn.Endpoint, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return nil, fmt.Errorf("hub: bind: endpoint %q: %w", s, err)
	}
	return &conn.StdNetEndpoint{AddrPort: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}, nil
}

// BatchSize is one: addrBind moves one datagram per call.
func (b *addrBind) BatchSize() int { return 1 }
