package hub

import (
	"fmt"
	"net"
	"net/netip"
)

// Listen opens a TCP listener on the hub's netstack at its tunnel address
// (port 0 picks one). Only peers reach it, and every connection it accepts
// carries its peer's identity: see RemoteAddr and ConnContext.
func (h *Hub) Listen(port int) (net.Listener, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("hub: listen: port %d is outside 0-65535", port)
	}
	ap := netip.AddrPortFrom(h.cfg.Address, uint16(port))
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, fmt.Errorf("hub: listen on %s: %w", ap, errClosed)
	}
	tl, err := h.tnet.ListenTCPAddrPort(ap)
	if err != nil {
		return nil, fmt.Errorf("hub: listen on %s: %w", ap, err)
	}
	l := &listener{Listener: tl, hub: h}
	h.listeners[l] = struct{}{}
	return l, nil
}

// listener wraps a netstack listener so that accepted connections are
// tracked per peer address, to be cut when their peer goes.
type listener struct {
	net.Listener
	hub *Hub
}

// Accept returns the next connection from a registered peer. A connection
// whose peer was removed between its SYN and now is closed and skipped.
func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if pc := l.hub.admit(c); pc != nil {
			return pc, nil
		}
	}
}

// Close closes the listener; the connections it accepted stay open.
func (l *listener) Close() error {
	l.hub.mu.Lock()
	if l.hub.listeners != nil {
		delete(l.hub.listeners, l)
	}
	l.hub.mu.Unlock()
	return l.Listener.Close()
}

// peerConn is a connection accepted from a registered peer, with that
// peer's tunnel address. Only admit makes one, which is what lets
// RemoteAddr trust it.
type peerConn struct {
	net.Conn
	peer netip.Addr
	hub  *Hub
}

// Close closes the connection and stops tracking it.
func (c *peerConn) Close() error {
	c.hub.untrack(c)
	return c.Conn.Close()
}

// admit wraps c and tracks it under its source address if that address
// belongs to a registered peer; otherwise it closes c and returns nil.
func (h *Hub) admit(c net.Conn) *peerConn {
	tcp, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		c.Close()
		return nil
	}
	addr := tcp.AddrPort().Addr().Unmap()
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.owners[addr]; !ok || h.closed {
		c.Close()
		return nil
	}
	pc := &peerConn{Conn: c, peer: addr, hub: h}
	set := h.conns[addr]
	if set == nil {
		set = make(map[*peerConn]struct{})
		h.conns[addr] = set
	}
	set[pc] = struct{}{}
	return pc
}

func (h *Hub) untrack(c *peerConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.conns[c.peer]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.conns, c.peer)
		}
	}
}

// dropConnsLocked closes every tracked connection from addr. The caller
// holds h.mu; closing a netstack connection does not call back into the hub.
func (h *Hub) dropConnsLocked(addr netip.Addr) {
	for c := range h.conns[addr] {
		c.Conn.Close()
	}
	delete(h.conns, addr)
}
