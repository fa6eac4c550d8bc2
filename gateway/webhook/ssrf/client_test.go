package ssrf

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testGuard returns g with a dial hook that keeps the test on loopback: if
// the guard under test wrongly allows an address off this machine, the
// connection is not made and the test fails instead. The workplace forbids
// traffic to any other address, public or private.
func testGuard(t *testing.T, g *Guard) *Guard {
	g.dialHook = func(ap netip.AddrPort) error {
		if !ap.Addr().Unmap().IsLoopback() {
			t.Errorf("the guard allowed a connection to %s", ap)
			return fmt.Errorf("test: not connecting to %s, off loopback", ap)
		}
		return nil
	}
	return g
}

// receiver is an HTTP server on 127.0.0.1 that counts requests and keeps
// the last body.
type receiver struct {
	*httptest.Server
	hits atomic.Int32
	body atomic.Value // string
}

func newReceiver(t *testing.T, h http.HandlerFunc) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		b, _ := io.ReadAll(req.Body)
		r.body.Store(string(b))
		if h != nil {
			h(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) port() string {
	_, p, _ := net.SplitHostPort(r.Listener.Addr().String())
	return p
}

func post(c *http.Client, url string) (*http.Response, error) {
	resp, err := c.Post(url, "application/json", strings.NewReader(`{"type":"ping"}`))
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

// TestClientRefuses runs the SSRF matrix at delivery: the Client's dial
// refuses each target, whatever CheckURL said earlier.
func TestClientRefuses(t *testing.T) {
	dns := newDNSServer(t)
	rcv := newReceiver(t, nil)
	c := testGuard(t, &Guard{AllowHTTP: true, Resolver: dns.resolver()}).Client(5 * time.Second)
	for _, tt := range ssrfMatrix {
		if hasPublic(tt.records) {
			continue // dialing it could reach the public address first
		}
		if tt.records != nil {
			dns.set(tt.host, tt.records...)
		}
		t.Run(tt.host, func(t *testing.T) {
			resp, err := post(c, "http://"+net.JoinHostPort(strings.Trim(tt.host, "[]"), rcv.port())+"/hook")
			if err == nil {
				t.Fatalf("delivered: %s", resp.Status)
			}
			wantRefusal(t, err, "when delivering; webhooks may only target public addresses")
		})
	}
	if n := rcv.hits.Load(); n != 0 {
		t.Fatalf("receiver got %d requests, want 0", n)
	}
}

func hasPublic(records []string) bool {
	for _, r := range records {
		if classify(netip.MustParseAddr(r)) == "" {
			return true
		}
	}
	return false
}

// TestClientRebinding: a name that resolves to a public address when the
// webhook is saved and to loopback when it is delivered is refused at the
// dial. The public answer is only checked, never dialed.
func TestClientRebinding(t *testing.T) {
	dns := newDNSServer(t)
	rcv := newReceiver(t, nil)
	g := testGuard(t, &Guard{AllowHTTP: true, Resolver: dns.resolver()})
	url := "http://rebind.test:" + rcv.port() + "/hook"

	dns.set("rebind.test", "93.184.216.34")
	if err := g.CheckURL(context.Background(), url); err != nil {
		t.Fatalf("CheckURL with the public answer: %v", err)
	}
	dns.set("rebind.test", "127.0.0.1")
	_, err := post(g.Client(0), url)
	wantRefusal(t, err, "host was a loopback address when delivering")
	if n := rcv.hits.Load(); n != 0 {
		t.Fatalf("receiver got %d requests, want 0", n)
	}
}

func TestClientDeliversToAllowlisted(t *testing.T) {
	dns := newDNSServer(t)
	dns.set("receiver.test", "127.0.0.1")
	rcv := newReceiver(t, nil)
	g := testGuard(t, &Guard{AllowHTTP: true, Allow: []netip.Prefix{pfx("127.0.0.1/32")}, Resolver: dns.resolver()})
	for _, url := range []string{rcv.URL + "/hook", "http://receiver.test:" + rcv.port() + "/hook"} {
		if err := g.CheckURL(context.Background(), url); err != nil {
			t.Fatalf("CheckURL(%s): %v", url, err)
		}
		resp, err := post(g.Client(0), url)
		if err != nil {
			t.Fatalf("delivering to %s: %v", url, err)
		}
		if resp.StatusCode != http.StatusOK || rcv.body.Load() != `{"type":"ping"}` {
			t.Fatalf("delivering to %s: status %s, receiver got %q", url, resp.Status, rcv.body.Load())
		}
	}
	if n := rcv.hits.Load(); n != 2 {
		t.Fatalf("receiver got %d requests, want 2", n)
	}
}

// TestClientHTTPS delivers over TLS, the production path, to an
// allowlisted loopback receiver.
func TestClientHTTPS(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c := testGuard(t, &Guard{Allow: []netip.Prefix{pfx("127.0.0.0/8")}}).Client(0)
	// Trust the test server's certificate; everything else is as built.
	c.Transport.(*transport).next.(*http.Transport).TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	resp, err := post(c, srv.URL)
	if err != nil || resp.StatusCode != http.StatusOK || hits.Load() != 1 {
		t.Fatalf("https delivery: %v, %v, %d hits", resp, err, hits.Load())
	}
}

func TestClientHTTPSOnly(t *testing.T) {
	rcv := newReceiver(t, nil)
	c := testGuard(t, &Guard{Allow: []netip.Prefix{pfx("127.0.0.1/32")}}).Client(0)
	_, err := post(c, rcv.URL)
	wantRefusal(t, err, "must be an https URL")
	_, err = post(c, strings.Replace(rcv.URL, "http://", "https://u:p@", 1))
	wantRefusal(t, err, "must not contain a user name or password")
	if n := rcv.hits.Load(); n != 0 {
		t.Fatalf("receiver got %d requests, want 0", n)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	elsewhere := newReceiver(t, nil)
	redirecting := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
	})
	c := testGuard(t, &Guard{AllowHTTP: true, Allow: []netip.Prefix{pfx("127.0.0.1/32")}}).Client(0)
	resp, err := post(c, redirecting.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("status %s, want the redirect itself", resp.Status)
	}
	if n := elsewhere.hits.Load(); n != 0 {
		t.Fatalf("redirect target got %d requests, want 0", n)
	}
}

func TestClientTimeout(t *testing.T) {
	g := &Guard{}
	if got := g.Client(0).Timeout; got != 10*time.Second {
		t.Errorf("Client(0).Timeout = %s, want 10s", got)
	}
	if got := g.Client(3 * time.Second).Timeout; got != 3*time.Second {
		t.Errorf("Client(3s).Timeout = %s, want 3s", got)
	}
}

func TestDialContextTCPOnly(t *testing.T) {
	g := testGuard(t, &Guard{Allow: []netip.Prefix{pfx("127.0.0.1/32")}})
	if c, err := g.DialContext(context.Background(), "udp", "127.0.0.1:53"); err == nil {
		c.Close()
		t.Fatal("DialContext dialed udp")
	}
}
