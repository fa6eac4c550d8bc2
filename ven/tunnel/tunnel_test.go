package tunnel

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/remora-sec/remora/gateway/hub"
)

// The hub's tunnel address and the URL the VENs ask who they are.
var (
	hubTunnelAddr = netip.MustParseAddr("100.64.0.1")
	whoamiURL     = "http://100.64.0.1:80/whoami"
)

// startHub runs the PCE's hub in this process, its UDP socket on addr only,
// serving /whoami: the caller's tunnel address, as the hub identifies it.
func startHub(t *testing.T, addr netip.Addr) (*hub.Hub, netip.AddrPort) {
	t.Helper()
	h, err := hub.New(hub.Config{
		PrivateKey: newKey(t),
		ListenAddr: netip.AddrPortFrom(addr, 0),
		Address:    hubTunnelAddr,
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ep, err := h.ListenAddr()
	if err != nil {
		t.Fatal(err)
	}
	l, err := h.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ConnContext: hub.ConnContext, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, ok := hub.PeerAddr(r)
		if !ok {
			http.Error(w, "no peer address", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, addr)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return h, ep
}

func newKey(t *testing.T) wgtypes.Key {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// venConfig is a VEN's tunnel configuration, as pairing would hand it out.
func venConfig(t *testing.T, iface string, h *hub.Hub, ep netip.AddrPort, addr string) Config {
	return Config{
		Iface:      iface,
		PrivateKey: newKey(t),
		Address:    netip.MustParsePrefix(addr),
		Hub: Hub{
			PublicKey:  h.PublicKey(),
			Endpoint:   ep,
			AllowedIPs: []netip.Prefix{netip.PrefixFrom(hubTunnelAddr, 32)},
		},
	}
}

// wgShow runs `wg show <iface> <what>` in ns and returns its lines, split
// at tabs.
func wgShow(t *testing.T, ns, iface, what string) [][]string {
	t.Helper()
	var rows [][]string
	for line := range strings.Lines(run(t, "ip", "netns", "exec", ns, "wg", "show", iface, what)) {
		rows = append(rows, strings.Split(strings.TrimSpace(line), "\t"))
	}
	return rows
}

// Two VENs in their own namespaces reach the hub at once, each identified
// as itself; wg(8) shows the hub peer with a recent handshake; a removed VEN
// is cut off while the other goes on, and gets back in once added again.
func TestEndToEnd(t *testing.T) {
	l := newLab(t)
	nsA := l.netns(0, l.hostAddr(0))
	h, ep := startHub(t, l.hostAddr(0))
	nsB := l.netns(1, l.hostAddr(0))

	cfgA := venConfig(t, l.iface("a"), h, ep, "100.64.0.2/32")
	cfgB := venConfig(t, l.iface("b"), h, ep, "100.64.0.3/32")
	if err := h.SetPeer(cfgA.PrivateKey.PublicKey(), netip.MustParseAddr("100.64.0.2")); err != nil {
		t.Fatal(err)
	}
	if err := h.SetPeer(cfgB.PrivateKey.PublicKey(), netip.MustParseAddr("100.64.0.3")); err != nil {
		t.Fatal(err)
	}
	a := startVEN(t, nsA, cfgA)
	b := startVEN(t, nsB, cfgB)

	a.mustGet(whoamiURL, "100.64.0.2")
	b.mustGet(whoamiURL, "100.64.0.3")

	t.Run("wg show", func(t *testing.T) {
		hs := wgShow(t, nsA, cfgA.Iface, "latest-handshakes")
		if len(hs) != 1 || hs[0][0] != h.PublicKey().String() {
			t.Fatalf("wg show %s latest-handshakes = %q, want the hub %s", cfgA.Iface, hs, h.PublicKey())
		}
		sec, err := strconv.ParseInt(hs[0][1], 10, 64)
		if err != nil || sec == 0 || time.Since(time.Unix(sec, 0)) > time.Minute {
			t.Errorf("hub handshake at %q, want within the last minute", hs[0][1])
		}
		eps := wgShow(t, nsA, cfgA.Iface, "endpoints")
		if len(eps) != 1 || eps[0][1] != ep.String() {
			t.Errorf("wg show %s endpoints = %q, want %s", cfgA.Iface, eps, ep)
		}
		ips := wgShow(t, nsA, cfgA.Iface, "allowed-ips")
		if len(ips) != 1 || ips[0][1] != "100.64.0.1/32" {
			t.Errorf("wg show %s allowed-ips = %q, want 100.64.0.1/32", cfgA.Iface, ips)
		}
		ka := wgShow(t, nsA, cfgA.Iface, "persistent-keepalive")
		if len(ka) != 1 || ka[0][1] != "25" {
			t.Errorf("wg show %s persistent-keepalive = %q, want 25", cfgA.Iface, ka)
		}
	})

	t.Run("Stats", func(t *testing.T) {
		f := strings.Fields(a.mustDo("stats"))
		if len(f) != 4 {
			t.Fatalf("stats = %q", f)
		}
		hs, _ := strconv.ParseInt(f[1], 10, 64)
		rx, _ := strconv.ParseInt(f[2], 10, 64)
		tx, _ := strconv.ParseInt(f[3], 10, 64)
		if hs == 0 || time.Since(time.Unix(0, hs)) > time.Minute || rx == 0 || tx == 0 {
			t.Errorf("Stats: handshake %s, rx %d, tx %d; want recent, > 0, > 0", time.Unix(0, hs), rx, tx)
		}
	})

	t.Run("the link", func(t *testing.T) {
		link := run(t, "ip", "-n", nsA, "-d", "link", "show", cfgA.Iface)
		if !strings.Contains(link, "mtu 1420") || !strings.Contains(link, "UP") {
			t.Errorf("link %s: %s; want up with mtu 1420", cfgA.Iface, link)
		}
		route := run(t, "ip", "-n", nsA, "route", "get", "100.64.0.1")
		if !strings.Contains(route, "dev "+cfgA.Iface) {
			t.Errorf("route to the hub: %s; want via %s", route, cfgA.Iface)
		}
	})

	t.Run("remove and add again", func(t *testing.T) {
		if err := h.RemovePeer(cfgA.PrivateKey.PublicKey()); err != nil {
			t.Fatal(err)
		}
		a.mustTimeOut(whoamiURL)
		b.mustGet(whoamiURL, "100.64.0.3")

		if err := h.SetPeer(cfgA.PrivateKey.PublicKey(), netip.MustParseAddr("100.64.0.2")); err != nil {
			t.Fatal(err)
		}
		a.mustDo("reset")
		a.mustGet(whoamiURL, "100.64.0.2")
	})
}

// A VEN sending from an address other than the one the hub registered for
// its key completes its handshake, but its packets are dropped; once it
// takes its registered address (Reconfigure), it is let in as itself.
func TestSpoofedSourceIsDropped(t *testing.T) {
	l := newLab(t)
	ns := l.netns(0, l.hostAddr(0))
	h, ep := startHub(t, l.hostAddr(0))
	cfg := venConfig(t, l.iface("s"), h, ep, "100.64.0.99/32")
	pub := cfg.PrivateKey.PublicKey()
	if err := h.SetPeer(pub, netip.MustParseAddr("100.64.0.4")); err != nil {
		t.Fatal(err)
	}
	v := startVEN(t, ns, cfg)

	v.mustTimeOut(whoamiURL)
	waitFor(t, "the spoofing VEN's handshake", func() bool {
		peers, err := h.Peers()
		return err == nil && len(peers) == 1 && peers[0].PublicKey == pub && !peers[0].LastHandshake.IsZero()
	})
	v.mustTimeOut(whoamiURL)

	v.mustDo("address 100.64.0.4/32")
	v.mustGet(whoamiURL, "100.64.0.4")
	addrs := run(t, "ip", "-n", ns, "-o", "addr", "show", "dev", cfg.Iface)
	if strings.Contains(addrs, "100.64.0.99") || !strings.Contains(addrs, "100.64.0.4/32") {
		t.Errorf("addresses of %s after Reconfigure: %s; want only 100.64.0.4/32", cfg.Iface, addrs)
	}
}

// SetEndpoint re-points the hub peer: a VEN pointed at the wrong port gets
// nowhere until SetEndpoint points it at the hub. (The hub has never heard
// from it, so WireGuard's roaming cannot fix the endpoint behind the test's
// back.) Its next handshake attempt, at most 5 s later, gets through.
func TestSetEndpoint(t *testing.T) {
	l := newLab(t)
	ns := l.netns(0, l.hostAddr(0))
	h, ep := startHub(t, l.hostAddr(0))
	wrong := netip.AddrPortFrom(ep.Addr(), ep.Port()+1)
	cfg := venConfig(t, l.iface("e"), h, wrong, "100.64.0.5/32")
	if err := h.SetPeer(cfg.PrivateKey.PublicKey(), netip.MustParseAddr("100.64.0.5")); err != nil {
		t.Fatal(err)
	}
	v := startVEN(t, ns, cfg)
	v.mustTimeOut(whoamiURL)

	v.mustDo("endpoint " + ep.String())
	if eps := wgShow(t, ns, cfg.Iface, "endpoints"); len(eps) != 1 || eps[0][1] != ep.String() {
		t.Fatalf("endpoints after SetEndpoint(%s) = %q", ep, eps)
	}
	v.mustGet(whoamiURL, "100.64.0.5")
}

// Up replaces what an earlier run left (a TUN device, a stale UAPI socket
// after a crash), refuses to delete an interface that is not WireGuard or
// a name a running device holds, and Down leaves nothing behind.
func TestUpIsIdempotent(t *testing.T) {
	l := newLab(t)
	ns := l.bareNetns("i")
	cfg := Config{
		Iface:      l.iface("i"),
		PrivateKey: newKey(t),
		Address:    netip.MustParsePrefix("100.64.0.6/32"),
		Hub: Hub{
			PublicKey:  newKey(t).PublicKey(),
			Endpoint:   netip.MustParseAddrPort("192.0.2.1:51820"), // never reached: no route in ns
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("100.64.0.1/32")},
		},
	}
	sock := "/var/run/wireguard/" + cfg.Iface + ".sock"
	linkExists := func() bool {
		return runOK("ip", "-n", ns, "link", "show", cfg.Iface)
	}

	t.Run("leftover TUN device", func(t *testing.T) {
		run(t, "ip", "-n", ns, "tuntap", "add", "name", cfg.Iface, "mode", "tun")
		v := startVEN(t, ns, cfg)
		if got := wgShow(t, ns, cfg.Iface, "peers"); len(got) != 1 || got[0][0] != cfg.Hub.PublicKey.String() {
			t.Errorf("peers = %q", got)
		}
		v.stop()
		if code := v.exitCode(); code != 0 {
			t.Errorf("helper exited %d:\n%s", code, v.stderr)
		}
		if linkExists() {
			t.Error("interface still there after Down")
		}
		if _, err := os.Stat(sock); !os.IsNotExist(err) {
			t.Errorf("%s after Down: %v, want it gone", sock, err)
		}
	})

	t.Run("after a crash", func(t *testing.T) {
		v := startVEN(t, ns, cfg)
		v.kill()
		if _, err := os.Stat(sock); err != nil {
			t.Fatalf("the crash left no stale socket to test with: %v", err)
		}
		v = startVEN(t, ns, cfg)
		v.mustDo("stats")
		v.stop()
	})

	t.Run("name held by a running device", func(t *testing.T) {
		startVEN(t, ns, cfg)
		other := l.bareNetns("j")
		_, first := launchVEN(t, other, cfg)
		if !strings.Contains(first, "in use") {
			t.Errorf("second VEN with the same name: %q, want it refused as in use", first)
		}
	})

	t.Run("not a WireGuard interface", func(t *testing.T) {
		waitFor(t, "the previous VEN to be gone", func() bool { return !linkExists() })
		run(t, "ip", "-n", ns, "link", "add", cfg.Iface, "type", "veth", "peer", "name", cfg.Iface+"p")
		_, first := launchVEN(t, ns, cfg)
		if !strings.Contains(first, "not WireGuard") {
			t.Errorf("Up over a veth: %q, want a refusal", first)
		}
		if !linkExists() {
			t.Error("Up deleted an interface that was not its own")
		}
	})
}

func runOK(args ...string) bool {
	return exec.Command(args[0], args[1:]...).Run() == nil
}
