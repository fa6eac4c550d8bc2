package tunnel

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Defaults the VEN runs with unless configured otherwise.
const (
	DefaultKeepalive = 25 * time.Second // keeps NAT mappings open, as wg-quick users do
	DefaultMTU       = 1420
)

// Config describes the VEN's tunnel to the hub. Pairing supplies all of it
// but the interface name.
type Config struct {
	// Iface is the interface name, such as "remora0". UAPI sockets are
	// shared by all network namespaces, so VENs sharing a machine need
	// distinct names.
	Iface      string
	PrivateKey wgtypes.Key
	// Address is the VEN's tunnel address, normally a /32 (or /128): the
	// address the hub registered for this key, hence its identity.
	Address netip.Prefix
	Hub     Hub
	// Keepalive is the persistent keepalive interval; zero means
	// DefaultKeepalive.
	Keepalive time.Duration
	// MTU of the interface; zero means DefaultMTU.
	MTU int
	// Logger receives wireguard-go's logs in userspace mode; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Hub is the tunnel's one peer.
type Hub struct {
	PublicKey wgtypes.Key
	Endpoint  netip.AddrPort
	// AllowedIPs are routed through the tunnel and accepted from the hub;
	// at least the hub's tunnel address as a /32.
	AllowedIPs []netip.Prefix
}

// ifaceName is what Linux accepts as an interface name and what keeps the
// UAPI socket path inside /var/run/wireguard.
var ifaceName = regexp.MustCompile(`^[A-Za-z0-9_=+.-]{1,15}$`)

// withDefaults validates c and returns it with its zero fields filled in.
// Errors name the field and the reason.
func (c Config) withDefaults() (Config, error) {
	switch {
	case !ifaceName.MatchString(c.Iface):
		return c, fmt.Errorf("tunnel: config: Iface %q is not a valid interface name (1-15 of A-Z a-z 0-9 _=+.-)", c.Iface)
	case c.PrivateKey == (wgtypes.Key{}):
		return c, errors.New("tunnel: config: PrivateKey is required")
	case !c.Address.IsValid() || c.Address.Addr().Zone() != "" || c.Address.Addr().Is4In6():
		return c, fmt.Errorf("tunnel: config: Address %q is not an address with a prefix length", c.Address)
	case c.Hub.PublicKey == (wgtypes.Key{}):
		return c, errors.New("tunnel: config: Hub.PublicKey is required")
	case !c.Hub.Endpoint.IsValid() || c.Hub.Endpoint.Port() == 0:
		return c, fmt.Errorf("tunnel: config: Hub.Endpoint %q needs an address and a port", c.Hub.Endpoint)
	case len(c.Hub.AllowedIPs) == 0:
		return c, errors.New("tunnel: config: Hub.AllowedIPs needs at least the hub's tunnel address")
	case c.Keepalive < 0:
		return c, fmt.Errorf("tunnel: config: Keepalive %s is negative", c.Keepalive)
	}
	for _, p := range c.Hub.AllowedIPs {
		if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() {
			return c, fmt.Errorf("tunnel: config: Hub.AllowedIPs: %q is not a network prefix (host bits set?)", p)
		}
	}
	if c.Keepalive == 0 {
		c.Keepalive = DefaultKeepalive
	}
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	if c.MTU < 576 || c.MTU > 65535 {
		return c, fmt.Errorf("tunnel: config: MTU %d is outside 576-65535", c.MTU)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
