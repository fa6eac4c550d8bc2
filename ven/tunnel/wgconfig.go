package tunnel

import (
	"net"
	"net/netip"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// deviceConfig is the whole WireGuard configuration of the interface: the
// VEN's key and the hub as its only peer. ReplacePeers makes it the truth
// whatever was configured before, and also drops the current session (see
// (*Tunnel).Reset).
func deviceConfig(c Config) wgtypes.Config {
	keepalive := c.Keepalive
	allowed := make([]net.IPNet, 0, len(c.Hub.AllowedIPs))
	for _, p := range c.Hub.AllowedIPs {
		allowed = append(allowed, ipNet(p))
	}
	return wgtypes.Config{
		PrivateKey:   &c.PrivateKey,
		ReplacePeers: true,
		Peers: []wgtypes.PeerConfig{{
			PublicKey:                   c.Hub.PublicKey,
			Endpoint:                    net.UDPAddrFromAddrPort(c.Hub.Endpoint),
			PersistentKeepaliveInterval: &keepalive,
			ReplaceAllowedIPs:           true,
			AllowedIPs:                  allowed,
		}},
	}
}

// ipNet converts p to the net.IPNet that wgctrl and netlink take, keeping
// an IPv4 address in its 4-byte form (netlink reads the family from it).
func ipNet(p netip.Prefix) net.IPNet {
	return net.IPNet{
		IP:   p.Addr().Unmap().AsSlice(),
		Mask: net.CIDRMask(p.Bits(), p.Addr().Unmap().BitLen()),
	}
}
