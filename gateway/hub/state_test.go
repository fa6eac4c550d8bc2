package hub

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

func TestParseState(t *testing.T) {
	k1 := wgtypes.Key{1}
	k2 := wgtypes.Key{2}
	in := "private_key=" + hexKey(wgtypes.Key{9}) + "\n" +
		"listen_port=51820\n" +
		"public_key=" + hexKey(k1) + "\n" +
		"preshared_key=" + hexKey(wgtypes.Key{}) + "\n" +
		"protocol_version=1\n" +
		"endpoint=[::ffff:10.0.0.7]:40000\n" +
		"last_handshake_time_sec=1700000000\n" +
		"last_handshake_time_nsec=5\n" +
		"tx_bytes=10\n" +
		"rx_bytes=20\n" +
		"persistent_keepalive_interval=0\n" +
		"allowed_ip=100.64.0.2/32\n" +
		"public_key=" + hexKey(k2) + "\n" +
		"last_handshake_time_sec=0\n" +
		"last_handshake_time_nsec=0\n" +
		"allowed_ip=10.9.0.0/16\n" +
		"allowed_ip=100.64.0.3/32\n"
	got, err := parseState(in)
	if err != nil {
		t.Fatal(err)
	}
	want := deviceState{listenPort: 51820, peers: []Peer{
		{
			PublicKey:     k1,
			Address:       netip.MustParseAddr("100.64.0.2"),
			Endpoint:      netip.MustParseAddrPort("10.0.0.7:40000"),
			LastHandshake: time.Unix(1700000000, 5).UTC(),
			ReceiveBytes:  20,
			TransmitBytes: 10,
		},
		{PublicKey: k2, Address: netip.MustParseAddr("100.64.0.3")},
	}}
	if got.listenPort != want.listenPort || !slices.Equal(got.peers, want.peers) {
		t.Errorf("parseState =\n%+v\nwant\n%+v", got, want)
	}

	for _, bad := range []string{"listen_port", "listen_port=x", "public_key=zz", "public_key=" + hexKey(k1) + "\nrx_bytes=-x"} {
		if _, err := parseState(bad); err == nil {
			t.Errorf("parseState(%q) succeeded", bad)
		}
	}
}
