package hub

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// SetPeer adds the VEN with key pub at tunnel address addr, or moves an
// existing one to addr. Its AllowedIPs become exactly addr/32 (or /128): the
// only source address the hub will accept from it, and the only destination
// the hub routes to it. An existing session survives a change of address,
// but connections from the old address are closed.
//
// addr must be inside the hub's prefix, must not be the hub's own address,
// and must not belong to another key: reassigning an address is
// RemovePeer then SetPeer, so that one VEN can never silently take
// over another's identity.
func (h *Hub) SetPeer(pub wgtypes.Key, addr netip.Addr) error {
	if err := h.checkPeer(pub, addr); err != nil {
		return fmt.Errorf("hub: set peer %s: %w", pub, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return fmt.Errorf("hub: set peer %s: %w", pub, errClosed)
	}
	if owner, ok := h.owners[addr]; ok && owner != pub {
		return fmt.Errorf("hub: set peer %s: address %s already belongs to peer %s", pub, addr, owner)
	}
	set := fmt.Sprintf("public_key=%s\nreplace_allowed_ips=true\nallowed_ip=%s\n",
		hexKey(pub), netip.PrefixFrom(addr, addr.BitLen()))
	if err := h.dev.IpcSet(set); err != nil {
		return fmt.Errorf("hub: set peer %s: %w", pub, err)
	}
	if old, ok := h.peers[pub]; ok && old != addr {
		delete(h.owners, old)
		h.dropConnsLocked(old)
	}
	h.peers[pub] = addr
	h.owners[addr] = pub
	return nil
}

// checkPeer rejects what would corrupt routing: a zero or the hub's own key
// (wireguard-go ignores the latter silently), an address outside the tunnel
// range, or the hub's own address.
func (h *Hub) checkPeer(pub wgtypes.Key, addr netip.Addr) error {
	switch {
	case pub == (wgtypes.Key{}):
		return fmt.Errorf("public key is zero")
	case pub == h.PublicKey():
		return fmt.Errorf("public key is the hub's own")
	case !addr.IsValid() || addr.Zone() != "":
		return fmt.Errorf("address %q is not a plain IP address", addr)
	case addr.Is4In6():
		return fmt.Errorf("address %s is IPv4-mapped; use the IPv4 form", addr)
	case !h.cfg.Prefix.Contains(addr):
		return fmt.Errorf("address %s is outside the tunnel range %s", addr, h.cfg.Prefix)
	case addr == h.cfg.Address:
		return fmt.Errorf("address %s is the hub's own", addr)
	}
	return nil
}

// RemovePeer removes the VEN with key pub: its packets are dropped from now
// on, and its open connections on the hub's listeners are closed, so a
// long-poll in flight ends too. Removing an unknown key is not an error, so
// that a retried removal succeeds.
func (h *Hub) RemovePeer(pub wgtypes.Key) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return fmt.Errorf("hub: remove peer %s: %w", pub, errClosed)
	}
	if err := h.dev.IpcSet(fmt.Sprintf("public_key=%s\nremove=true\n", hexKey(pub))); err != nil {
		return fmt.Errorf("hub: remove peer %s: %w", pub, err)
	}
	if addr, ok := h.peers[pub]; ok {
		delete(h.peers, pub)
		delete(h.owners, addr)
		h.dropConnsLocked(addr)
	}
	return nil
}

// Peers lists the device's peers, ordered by address, with their
// endpoints, last handshakes and byte counters.
func (h *Hub) Peers() ([]Peer, error) {
	st, err := h.state()
	if err != nil {
		return nil, err
	}
	slices.SortFunc(st.peers, func(a, b Peer) int {
		if c := a.Address.Compare(b.Address); c != 0 {
			return c
		}
		return cmp.Compare(a.PublicKey.String(), b.PublicKey.String())
	})
	return st.peers, nil
}
