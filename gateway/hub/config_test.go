package hub

import (
	"net/netip"
	"strings"
	"testing"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

func TestConfigDefaults(t *testing.T) {
	c, err := Config{PrivateKey: wgtypes.Key{1}, Address: hubAddr}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != netip.MustParseAddrPort("[::]:51820") || c.Prefix != DefaultPrefix || c.MTU != DefaultMTU || c.Logger == nil {
		t.Errorf("defaults = %+v", c)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	ok := Config{PrivateKey: wgtypes.Key{1}, Address: hubAddr}
	tests := []struct {
		field string
		edit  func(*Config)
	}{
		{"PrivateKey", func(c *Config) { c.PrivateKey = wgtypes.Key{} }},
		{"Address", func(c *Config) { c.Address = netip.Addr{} }},
		{"Address", func(c *Config) { c.Address = ip("10.0.0.1") }},
		{"Prefix", func(c *Config) { c.Prefix = netip.MustParsePrefix("100.64.0.1/10") }},
		{"MTU", func(c *Config) { c.MTU = 100 }},
		{"UAPIName", func(c *Config) { c.UAPIName = "x/y" }},
	}
	for _, tt := range tests {
		c := ok
		tt.edit(&c)
		if _, err := c.withDefaults(); err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: withDefaults() = %v, want an error naming it", tt.field, err)
		}
	}
}
