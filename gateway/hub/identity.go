package hub

import (
	"context"
	"net"
	"net/http"
	"net/netip"
)

// RemoteAddr returns the tunnel address of the peer that opened c, if c was
// accepted by a hub listener. That address is the peer's identity:
// WireGuard accepted the packets only because their source was in that
// peer's AllowedIPs, and the hub closes the connection when the peer is
// removed or moved.
func RemoteAddr(c net.Conn) (netip.Addr, bool) {
	pc, ok := c.(*peerConn)
	if !ok {
		return netip.Addr{}, false
	}
	return pc.peer, true
}

type peerKey struct{}

// ConnContext is an http.Server ConnContext that records the peer address
// of connections accepted by a hub listener, for PeerAddr.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if addr, ok := RemoteAddr(c); ok {
		return context.WithValue(ctx, peerKey{}, addr)
	}
	return ctx
}

// PeerAddr returns the tunnel address of the VEN that sent r. It is false
// unless r arrived on a hub listener served with ConnContext, so a handler
// mounted anywhere else fails closed instead of trusting r.RemoteAddr.
func PeerAddr(r *http.Request) (netip.Addr, bool) {
	addr, ok := r.Context().Value(peerKey{}).(netip.Addr)
	return addr, ok
}
