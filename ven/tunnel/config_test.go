package tunnel

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

func validConfig() Config {
	return Config{
		Iface:      "remora0",
		PrivateKey: wgtypes.Key{1},
		Address:    netip.MustParsePrefix("100.64.0.2/32"),
		Hub: Hub{
			PublicKey:  wgtypes.Key{2},
			Endpoint:   netip.MustParseAddrPort("192.0.2.1:51820"),
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("100.64.0.1/32")},
		},
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := validConfig().withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Keepalive != 25*time.Second || c.MTU != 1420 || c.Logger == nil {
		t.Errorf("defaults: keepalive %s, MTU %d, logger %v", c.Keepalive, c.MTU, c.Logger)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		field string
		edit  func(*Config)
	}{
		{"Iface", func(c *Config) { c.Iface = "" }},
		{"Iface", func(c *Config) { c.Iface = "../../etc/x" }},
		{"Iface", func(c *Config) { c.Iface = "sixteen-chars-xx" }},
		{"PrivateKey", func(c *Config) { c.PrivateKey = wgtypes.Key{} }},
		{"Address", func(c *Config) { c.Address = netip.Prefix{} }},
		{"Address", func(c *Config) { c.Address = netip.MustParsePrefix("::ffff:100.64.0.2/128") }},
		{"Hub.PublicKey", func(c *Config) { c.Hub.PublicKey = wgtypes.Key{} }},
		{"Hub.Endpoint", func(c *Config) { c.Hub.Endpoint = netip.AddrPort{} }},
		{"Hub.Endpoint", func(c *Config) { c.Hub.Endpoint = netip.MustParseAddrPort("192.0.2.1:0") }},
		{"Hub.AllowedIPs", func(c *Config) { c.Hub.AllowedIPs = nil }},
		{"Hub.AllowedIPs", func(c *Config) { c.Hub.AllowedIPs = []netip.Prefix{netip.MustParsePrefix("100.64.0.1/10")} }},
		{"Keepalive", func(c *Config) { c.Keepalive = -time.Second }},
		{"MTU", func(c *Config) { c.MTU = 70000 }},
	}
	for _, tt := range tests {
		c := validConfig()
		tt.edit(&c)
		if _, err := c.withDefaults(); err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: withDefaults() = %v, want an error naming it", tt.field, err)
		}
	}
}

func TestDeviceConfig(t *testing.T) {
	c, err := validConfig().withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	d := deviceConfig(c)
	if !d.ReplacePeers || *d.PrivateKey != c.PrivateKey || len(d.Peers) != 1 {
		t.Fatalf("deviceConfig = %+v", d)
	}
	p := d.Peers[0]
	if p.PublicKey != c.Hub.PublicKey || p.Endpoint.String() != "192.0.2.1:51820" ||
		*p.PersistentKeepaliveInterval != 25*time.Second || !p.ReplaceAllowedIPs ||
		len(p.AllowedIPs) != 1 || p.AllowedIPs[0].String() != "100.64.0.1/32" || len(p.AllowedIPs[0].IP) != 4 {
		t.Errorf("hub peer = %+v", p)
	}
}
