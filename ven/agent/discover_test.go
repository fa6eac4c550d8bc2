package agent

import (
	"slices"
	"testing"

	"github.com/remora-sec/remora/ven/wire"
)

// In a namespace of its own, discovery reports a veth's IPv4 and IPv6
// addresses, and leaves out loopback, link-local addresses, an interface
// that is down and the agent's own tunnel interface.
func TestDiscoverInNamespace(t *testing.T) {
	ns := newNetNS(t)
	ns.ip(t, "link", "add", "va", "type", "veth", "peer", "name", "vb")
	ns.ip(t, "addr", "add", "10.81.0.1/24", "dev", "va")
	ns.ip(t, "addr", "add", "10.81.0.9/24", "dev", "va")
	ns.ip(t, "addr", "add", "fd81::1/64", "dev", "va", "nodad")
	ns.ip(t, "addr", "add", "fe80::1234/64", "dev", "va", "nodad")
	ns.ip(t, "addr", "add", "169.254.7.7/16", "dev", "va")
	ns.ip(t, "addr", "add", "10.81.1.1/24", "dev", "vb")
	ns.ip(t, "link", "set", "va", "up")
	// vb stays down: its address must not be reported.
	// The tunnel: a TUN device, as wireguard-go makes it.
	ns.ip(t, "tuntap", "add", "name", "rmtun0", "mode", "tun")
	ns.ip(t, "addr", "add", "100.64.0.2/32", "dev", "rmtun0")
	ns.ip(t, "link", "set", "rmtun0", "up")

	var got []wire.Interface
	if err := ns.do(func() (err error) {
		got, err = Discover("rmtun0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := []wire.Interface{{Name: "va", Addresses: []string{"10.81.0.1", "10.81.0.9", "fd81::1"}}}
	if !slices.EqualFunc(got, want, func(a, b wire.Interface) bool {
		return a.Name == b.Name && slices.Equal(a.Addresses, b.Addresses)
	}) {
		t.Errorf("Discover = %+v\nwant %+v", got, want)
	}
}
