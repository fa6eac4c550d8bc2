package ssrf

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// DefaultTimeout bounds one delivery attempt, connection to last byte: a
// receiver is expected to answer quickly and do slow work afterwards.
const DefaultTimeout = 10 * time.Second

// DialContext connects like net.Dialer.DialContext, for an http.Transport,
// but refuses any address the guard refuses. The check runs in the
// dialer's Control hook, on the address about to be connected to after
// resolution, so neither a rebinding DNS answer nor a literal written any
// way slips past. Only TCP is dialed.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("ssrf: dial %s %s: only tcp is allowed", network, address)
	}
	d := net.Dialer{Resolver: g.Resolver, Control: g.control}
	return d.DialContext(ctx, network, address)
}

// control vets the address of a socket before it connects.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("ssrf: dial %s: unexpected address %q: %w", network, address, err)
	}
	if r := g.reason(ap.Addr()); r != "" {
		// As in CheckURL, the tenant's message leaves the address out.
		return fmt.Errorf("ssrf: dial %s: %s is %s: %w", network, ap, r,
			refusal(fmt.Sprintf("host was %s when delivering; %s", r, publicOnly)))
	}
	if g.dialHook != nil {
		return g.dialHook(ap)
	}
	return nil
}

// Client returns an HTTP client for webhook deliveries that dials through
// the guard, gives up after timeout (DefaultTimeout when timeout <= 0), and
// does not follow redirects: a 3xx is returned as the response, which the
// dispatcher, wanting a 2xx, counts as a failed attempt. Following it would
// let a receiver send us anywhere, and retrying the POST elsewhere is not
// what the tenant configured. It ignores proxy settings from the
// environment, since through a proxy the guard would vet the proxy's
// address, not the receiver's.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: &transport{g: g, next: tr},
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// transport checks each request's URL shape (scheme, user info, host)
// before sending it, so the Client alone enforces https-only even for a URL
// that skipped CheckURL; addresses are checked when dialed.
type transport struct {
	g    *Guard
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.g.checkShape(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close() // RoundTrip must close it, even on error
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// wrapped transport.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
