package enforce

import (
	"fmt"
	"net/netip"
	"strings"
)

// DefaultTable is the nftables table Remora owns when Config.Table is empty.
const DefaultTable = "remora"

// Config says where to program and what must never be filtered.
type Config struct {
	// Table is the name of the inet table this package owns entirely
	// (default "remora"). Nothing else should write to it.
	Table string
	// NetNS is a file descriptor of the network namespace to program;
	// 0 means the caller's. Tests use it; the agent leaves it 0.
	NetNS int
	// Exempt is traffic that is accepted before any document rule, in
	// every mode, so a policy can never cut the VEN off from the PCE.
	Exempt Exempt
}

// Exempt lists what is always allowed.
type Exempt struct {
	// TunnelIface is the WireGuard interface to the hub; all traffic in
	// and out of it is accepted. Its only peer is the hub (cryptokey
	// routing), so this is exactly the traffic to and from the hub's
	// tunnel address. It is matched by name, not index, so the rule holds
	// when the interface is created after the table or re-created.
	TunnelIface string
	// PCEEndpoint is the hub's UDP WireGuard endpoint: outbound UDP to it
	// and inbound UDP from it are accepted. The zero value exempts nothing.
	PCEEndpoint netip.AddrPort
}

// withDefaults returns c with defaults filled in, or an error naming the
// bad field.
func (c Config) withDefaults() (Config, error) {
	if c.Table == "" {
		c.Table = DefaultTable
	}
	if len(c.Table) > 64 || strings.ContainsFunc(c.Table, func(r rune) bool { return !isNameRune(r) }) {
		return c, fmt.Errorf("config table %q: want 1 to 64 letters, digits or underscores", c.Table)
	}
	if c.NetNS < 0 {
		return c, fmt.Errorf("config netns: fd %d is negative", c.NetNS)
	}
	if n := c.Exempt.TunnelIface; len(n) > 15 || strings.ContainsAny(n, "\x00/ ") {
		return c, fmt.Errorf("config exempt tunnel interface %q: not a valid interface name", n)
	}
	if ep := c.Exempt.PCEEndpoint; ep.IsValid() || ep.Port() != 0 {
		if !ep.Addr().IsValid() || ep.Port() == 0 {
			return c, fmt.Errorf("config exempt PCE endpoint %s: want an address and a non-zero port", ep)
		}
		c.Exempt.PCEEndpoint = netip.AddrPortFrom(ep.Addr().Unmap(), ep.Port())
	}
	return c, nil
}

// isNameRune reports whether r may appear in the names this package gives
// nftables objects: letters, digits, underscore, which every nft parser
// accepts unquoted.
func isNameRune(r rune) bool {
	return r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
}
