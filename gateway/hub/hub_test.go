package hub

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Each VEN is identified by the source address WireGuard let through, and
// the hub reports each peer's endpoint, handshake and counters.
func TestPeersAreIdentifiedBySourceAddress(t *testing.T) {
	for _, listen := range []string{"127.0.0.1:0", "[::]:0"} {
		t.Run(listen, func(t *testing.T) {
			h, ep, base := startHub(t, Config{ListenAddr: netip.MustParseAddrPort(listen)})
			a := newClient(t, h, ep, ip("100.64.0.2"))
			b := newClient(t, h, ep, ip("100.64.0.3"))
			if err := h.SetPeer(a.pub(), ip("100.64.0.2")); err != nil {
				t.Fatal(err)
			}
			if err := h.SetPeer(b.pub(), ip("100.64.0.3")); err != nil {
				t.Fatal(err)
			}
			a.mustGet(base+"/whoami", "100.64.0.2")
			b.mustGet(base+"/whoami", "100.64.0.3")

			peers, err := h.Peers()
			if err != nil {
				t.Fatal(err)
			}
			if len(peers) != 2 {
				t.Fatalf("Peers() = %+v, want 2", peers)
			}
			for i, c := range []*client{a, b} {
				p := peers[i]
				if p.PublicKey != c.pub() {
					t.Errorf("peer %d key = %s, want %s", i, p.PublicKey, c.pub())
				}
				if p.LastHandshake.IsZero() || time.Since(p.LastHandshake) > time.Minute {
					t.Errorf("peer %s last handshake = %v, want recent", p.Address, p.LastHandshake)
				}
				if p.ReceiveBytes == 0 || p.TransmitBytes == 0 {
					t.Errorf("peer %s rx/tx = %d/%d, want both > 0", p.Address, p.ReceiveBytes, p.TransmitBytes)
				}
				if p.Endpoint.Addr() != ip("127.0.0.1") {
					t.Errorf("peer %s endpoint = %s, want 127.0.0.1:*", p.Address, p.Endpoint)
				}
			}
			if peers[0].Address != ip("100.64.0.2") || peers[1].Address != ip("100.64.0.3") {
				t.Errorf("addresses = %s, %s", peers[0].Address, peers[1].Address)
			}
		})
	}
}

// A removed VEN is cut off; added again, it gets back in.
func TestRemoveThenSetAgain(t *testing.T) {
	h, ep, base := startHub(t, Config{})
	c := newClient(t, h, ep, ip("100.64.0.2"))
	if err := h.SetPeer(c.pub(), ip("100.64.0.2")); err != nil {
		t.Fatal(err)
	}
	c.mustGet(base+"/whoami", "100.64.0.2")

	if err := h.RemovePeer(c.pub()); err != nil {
		t.Fatal(err)
	}
	c.mustTimeOut(base + "/whoami")
	if peers, _ := h.Peers(); len(peers) != 0 {
		t.Fatalf("Peers() after RemovePeer = %+v", peers)
	}
	if err := h.RemovePeer(c.pub()); err != nil {
		t.Fatalf("second RemovePeer: %v", err)
	}

	if err := h.SetPeer(c.pub(), ip("100.64.0.2")); err != nil {
		t.Fatal(err)
	}
	c.reset()
	c.mustGet(base+"/whoami", "100.64.0.2")
}

// A VEN that sends from an address other than the one registered for its
// key completes its handshake, yet none of its packets get through.
func TestSpoofedSourceIsDropped(t *testing.T) {
	h, ep, base := startHub(t, Config{})
	c := newClient(t, h, ep, ip("100.64.0.99"))
	if err := h.SetPeer(c.pub(), ip("100.64.0.5")); err != nil {
		t.Fatal(err)
	}
	c.mustTimeOut(base + "/whoami")
	waitFor(t, "handshake with the spoofing peer", func() bool {
		peers, err := h.Peers()
		return err == nil && len(peers) == 1 && !peers[0].LastHandshake.IsZero()
	})
	c.mustTimeOut(base + "/whoami")
}

// Removing a VEN also ends its requests in flight, such as a long poll.
func TestRemoveClosesOpenConnections(t *testing.T) {
	h, ep, _ := startHub(t, Config{})
	entered := make(chan struct{})
	ended := make(chan struct{})
	l, err := h.Listen(8080)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ConnContext: ConnContext, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
		close(ended)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	c := newClient(t, h, ep, ip("100.64.0.2"))
	if err := h.SetPeer(c.pub(), ip("100.64.0.2")); err != nil {
		t.Fatal(err)
	}
	go c.get("http://100.64.0.1:8080/poll", time.Minute)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll never reached the handler")
	}
	if err := h.RemovePeer(c.pub()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll outlived its peer")
	}
}

// Peers come and go while another peer's requests flow, and none of those
// requests fails.
func TestLivePeerChurn(t *testing.T) {
	h, ep, base := startHub(t, Config{})
	a := newClient(t, h, ep, ip("100.64.0.2"))
	if err := h.SetPeer(a.pub(), ip("100.64.0.2")); err != nil {
		t.Fatal(err)
	}
	a.mustGet(base+"/whoami", "100.64.0.2")

	var wg sync.WaitGroup
	errs := make(chan error, 1)
	wg.Go(func() {
		for i := range 50 {
			k := newKey(t).PublicKey()
			addr := netip.AddrFrom4([4]byte{100, 64, 1, byte(i)})
			if err := h.SetPeer(k, addr); err != nil {
				errs <- err
				return
			}
			if err := h.RemovePeer(k); err != nil {
				errs <- err
				return
			}
		}
	})
	for range 20 {
		a.mustGet(base+"/whoami", "100.64.0.2")
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	peers, err := h.Peers()
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 1 || peers[0].PublicKey != a.pub() {
		t.Fatalf("Peers() after churn = %+v, want only a", peers)
	}
}

// A key moved to a new address loses the old one, which another key may
// then take; no key takes an address that is still held.
func TestSetPeerAddressOwnership(t *testing.T) {
	h, ep, base := startHub(t, Config{})
	c := newClient(t, h, ep, ip("100.64.0.2"))
	other := newKey(t).PublicKey()

	if err := h.SetPeer(c.pub(), ip("100.64.0.2")); err != nil {
		t.Fatal(err)
	}
	c.mustGet(base+"/whoami", "100.64.0.2")
	if err := h.SetPeer(other, ip("100.64.0.2")); err == nil {
		t.Fatal("SetPeer gave a held address to another key")
	}
	c.mustGet(base+"/whoami", "100.64.0.2")

	if err := h.SetPeer(c.pub(), ip("100.64.0.3")); err != nil {
		t.Fatal(err)
	}
	c.mustTimeOut(base + "/whoami") // it still sends from .2
	if err := h.SetPeer(other, ip("100.64.0.2")); err != nil {
		t.Fatalf("SetPeer of a freed address: %v", err)
	}
	peers, err := h.Peers()
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 2 || peers[0].PublicKey != other || peers[1].PublicKey != c.pub() {
		t.Fatalf("Peers() = %+v, want other at .2 and c at .3", peers)
	}
}

// Bad peers are refused with an error naming the problem, and leave the
// device as it was.
func TestSetPeerRejectsBadInput(t *testing.T) {
	h, _, _ := startHub(t, Config{})
	good := newKey(t).PublicKey()
	tests := []struct {
		name string
		pub  wgtypes.Key
		addr netip.Addr
	}{
		{"zero key", wgtypes.Key{}, ip("100.64.0.2")},
		{"hub's key", h.PublicKey(), ip("100.64.0.2")},
		{"no address", good, netip.Addr{}},
		{"outside the prefix", good, ip("10.0.0.2")},
		{"hub's address", good, hubAddr},
		{"mapped", good, ip("::ffff:100.64.0.2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.SetPeer(tt.pub, tt.addr); err == nil {
				t.Fatal("SetPeer succeeded")
			}
		})
	}
	if peers, err := h.Peers(); err != nil || len(peers) != 0 {
		t.Fatalf("Peers() = %+v, %v; want none", peers, err)
	}
}

// A second hub on a port in use fails at New, not later.
func TestNewFailsOnPortInUse(t *testing.T) {
	_, ep, _ := startHub(t, Config{})
	h, err := New(Config{PrivateKey: newKey(t), ListenAddr: ep, Address: hubAddr, Logger: testLogger(t)})
	if err == nil {
		h.Close()
		t.Fatalf("second hub on %s started", ep)
	}
}

// After Close, configuration calls fail and listeners stop accepting.
func TestClose(t *testing.T) {
	h, err := New(Config{PrivateKey: newKey(t), ListenAddr: netip.MustParseAddrPort("127.0.0.1:0"), Address: hubAddr, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := h.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		accepted <- err
	}()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case err := <-accepted:
		if err == nil {
			t.Fatal("Accept succeeded after Close")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept still blocked after Close")
	}
	if err := h.SetPeer(newKey(t).PublicKey(), ip("100.64.0.2")); err == nil {
		t.Fatal("SetPeer after Close succeeded")
	}
	if _, err := h.Listen(81); err == nil {
		t.Fatal("Listen after Close succeeded")
	}
}

// A WireGuard peer that SetPeer did not register (one an operator added
// through the UAPI socket, say) is no VEN: its connections are refused.
func TestListenRefusesUnregisteredPeers(t *testing.T) {
	h, ep, base := startHub(t, Config{})
	c := newClient(t, h, ep, ip("100.64.0.7"))
	if err := h.dev.IpcSet("public_key=" + hexKey(c.pub()) + "\nallowed_ip=100.64.0.7/32\n"); err != nil {
		t.Fatal(err)
	}
	got, err := c.get(base+"/whoami", 10*time.Second)
	if err == nil {
		t.Fatalf("GET from an unregistered peer = %q, want refused", got)
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		t.Fatalf("GET from an unregistered peer timed out (%v); want it to reach the hub and be refused", err)
	}
}
