package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/remora-sec/remora/infra/wglog"
)

// hubAddr is the hub's tunnel address in these tests.
var hubAddr = netip.MustParseAddr("100.64.0.1")

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func newKey(t *testing.T) wgtypes.Key {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testLogger logs warnings to t.Log, so they show only for failed tests.
// Call it before starting what logs: its cleanup, which runs after theirs,
// silences it, since t.Log panics once the test is over.
func testLogger(t *testing.T) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// startHub runs a hub on 127.0.0.1 with a "/whoami" endpoint that answers the
// caller's peer address, and returns it with its UDP endpoint and HTTP base
// URL.
func startHub(t *testing.T, cfg Config) (*Hub, netip.AddrPort, string) {
	t.Helper()
	if cfg.PrivateKey == (wgtypes.Key{}) {
		cfg.PrivateKey = newKey(t)
	}
	if !cfg.ListenAddr.IsValid() {
		cfg.ListenAddr = netip.MustParseAddrPort("127.0.0.1:0")
	}
	if !cfg.Address.IsValid() {
		cfg.Address = hubAddr
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ep, err := h.ListenAddr()
	if err != nil {
		t.Fatal(err)
	}
	if ep.Addr().IsUnspecified() {
		ep = netip.AddrPortFrom(ip("127.0.0.1"), ep.Port())
	}
	l, err := h.Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: whoami(), ConnContext: ConnContext}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return h, ep, "http://" + l.Addr().String()
}

// whoami answers the peer address of the request, as the VEN API will
// identify its callers.
func whoami() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		addr, ok := PeerAddr(r)
		if !ok {
			http.Error(w, "no peer address", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, addr)
	})
	return mux
}

// client is a VEN stand-in: a second wireguard-go device on its own netstack,
// so hub tests need neither root nor a TUN device.
type client struct {
	t    *testing.T
	key  wgtypes.Key
	dev  *device.Device
	tnet *netstack.Net
	peer string // the UAPI lines of its hub peer
}

// newClient starts a client whose tunnel address is addr, pointed at the hub
// at ep. The hub does not know it yet.
func newClient(t *testing.T, h *Hub, ep netip.AddrPort, addr netip.Addr) *client {
	t.Helper()
	log := testLogger(t)
	tdev, tnet, err := netstack.CreateNetTUN([]netip.Addr{addr}, nil, DefaultMTU)
	if err != nil {
		t.Fatal(err)
	}
	hk := h.PublicKey()
	c := &client{
		t:    t,
		key:  newKey(t),
		dev:  device.NewDevice(tdev, conn.NewStdNetBind(), wglog.New(log)),
		tnet: tnet,
		peer: fmt.Sprintf("public_key=%s\nendpoint=%s\nallowed_ip=%s/32\n", hexKey(hk), ep, h.Address()),
	}
	t.Cleanup(c.dev.Close)
	if err := c.dev.IpcSet(fmt.Sprintf("private_key=%s\n%s", hexKey(c.key), c.peer)); err != nil {
		t.Fatal(err)
	}
	if err := c.dev.Up(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *client) pub() wgtypes.Key { return c.key.PublicKey() }

// reset drops the client's session with the hub, as the VEN does when the
// hub stops answering, so the next packet starts a fresh handshake instead
// of waiting out WireGuard's 15 s for a silent session.
func (c *client) reset() {
	c.t.Helper()
	hk := strings.SplitN(c.peer, "\n", 2)[0]
	if err := c.dev.IpcSet(hk + "\nremove=true\n" + c.peer); err != nil {
		c.t.Fatal(err)
	}
}

// get fetches url over the tunnel within timeout.
func (c *client) get(url string, timeout time.Duration) (string, error) {
	hc := &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return c.tnet.DialContext(ctx, network, addr)
			},
			DisableKeepAlives: true,
		},
	}
	resp, err := hc.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s: %s", resp.Status, b)
	}
	return string(b), nil
}

// mustGet fetches url and fails the test unless the answer is want.
func (c *client) mustGet(url, want string) {
	c.t.Helper()
	got, err := c.get(url, 10*time.Second)
	if err != nil {
		c.t.Fatalf("GET %s: %v", url, err)
	}
	if got != want {
		c.t.Fatalf("GET %s = %q, want %q", url, got, want)
	}
}

// mustTimeOut fails the test unless a GET of url times out: its packets are
// dropped, not refused (a refusal would mean they reached the hub's stack).
func (c *client) mustTimeOut(url string) {
	c.t.Helper()
	got, err := c.get(url, time.Second)
	if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
		c.t.Fatalf("GET %s = %q, %v; want a time-out", url, got, err)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
