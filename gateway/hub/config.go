package hub

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Defaults the PCE runs with unless configured otherwise.
const (
	DefaultPort = 51820
	DefaultMTU  = 1420
)

// DefaultPrefix is the tunnel range: the shared address space of RFC 6598,
// which a workload's own networks rarely use.
var DefaultPrefix = netip.MustParsePrefix("100.64.0.0/10")

// Config describes one hub.
type Config struct {
	// PrivateKey is the hub's WireGuard key; VENs learn its public half
	// when they pair.
	PrivateKey wgtypes.Key
	// ListenAddr is where the hub's UDP socket listens. The zero value
	// means every address on DefaultPort. An unspecified address (0.0.0.0
	// or ::) listens on every address of both families; a specific address
	// listens on that address only. Port 0 picks a free port (see
	// (*Hub).ListenAddr).
	ListenAddr netip.AddrPort
	// Address is the hub's own tunnel address, inside Prefix: the address
	// the VENs talk to.
	Address netip.Addr
	// Prefix is the tunnel range every peer address must fall in; zero
	// means DefaultPrefix.
	Prefix netip.Prefix
	// UAPIName, when set, serves the WireGuard configuration socket
	// /var/run/wireguard/<UAPIName>.sock, so operators can run
	// `wg show <UAPIName>`. It needs that directory to be writable.
	UAPIName string
	// Logger receives wireguard-go's logs; nil means slog.Default().
	Logger *slog.Logger
	// MTU of the tunnel; zero means DefaultMTU.
	MTU int
}

// uapiName matches what wg(8) accepts as an interface name, which is also
// what keeps the socket path inside /var/run/wireguard.
var uapiName = regexp.MustCompile(`^[A-Za-z0-9_=+.-]{1,15}$`)

// withDefaults validates c and returns it with its zero fields filled in.
// Errors name the field, so a bad configuration file is easy to fix.
func (c Config) withDefaults() (Config, error) {
	if c.PrivateKey == (wgtypes.Key{}) {
		return c, errors.New("hub: config: PrivateKey is required")
	}
	if c.ListenAddr == (netip.AddrPort{}) {
		c.ListenAddr = netip.AddrPortFrom(netip.IPv6Unspecified(), DefaultPort)
	}
	if !c.ListenAddr.Addr().IsValid() {
		return c, fmt.Errorf("hub: config: ListenAddr %q has no address", c.ListenAddr)
	}
	if c.Prefix == (netip.Prefix{}) {
		c.Prefix = DefaultPrefix
	}
	if !c.Prefix.IsValid() || c.Prefix != c.Prefix.Masked() {
		return c, fmt.Errorf("hub: config: Prefix %q is not a network prefix (host bits set?)", c.Prefix)
	}
	if !c.Address.IsValid() || !c.Prefix.Contains(c.Address) {
		return c, fmt.Errorf("hub: config: Address %q is not inside Prefix %s", c.Address, c.Prefix)
	}
	if c.UAPIName != "" && !uapiName.MatchString(c.UAPIName) {
		return c, fmt.Errorf("hub: config: UAPIName %q is not a valid interface name (1-15 of A-Z a-z 0-9 _=+.-)", c.UAPIName)
	}
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	minMTU := 576 // the least an IPv4 host must accept
	if c.Address.Is6() {
		minMTU = 1280
	}
	if c.MTU < minMTU || c.MTU > 65535 {
		return c, fmt.Errorf("hub: config: MTU %d is outside %d-65535", c.MTU, minMTU)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
