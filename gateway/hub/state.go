package hub

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Peer is one VEN as the hub's device sees it.
type Peer struct {
	PublicKey wgtypes.Key
	// Address is the peer's tunnel address: its single-address AllowedIP.
	Address netip.Addr
	// Endpoint is where its packets last came from; zero before the first
	// handshake (VENs are behind NAT, so the hub only learns it then).
	Endpoint netip.AddrPort
	// LastHandshake is zero if the peer never completed one.
	LastHandshake time.Time
	ReceiveBytes  int64
	TransmitBytes int64
}

// deviceState is what the UAPI "get" operation reports that the hub uses.
type deviceState struct {
	listenPort uint16
	peers      []Peer
}

// parseState parses the key=value lines of a UAPI "get" answer
// (https://www.wireguard.com/xplatform/#configuration-protocol). A
// public_key line starts a peer; the lines after it describe that peer.
func parseState(s string) (deviceState, error) {
	var st deviceState
	var p *Peer
	var hsSec, hsNsec int64
	flush := func() {
		if p == nil {
			return
		}
		if hsSec != 0 || hsNsec != 0 {
			p.LastHandshake = time.Unix(hsSec, hsNsec).UTC()
		}
		st.peers = append(st.peers, *p)
		p, hsSec, hsNsec = nil, 0, 0
	}
	for line := range strings.Lines(s) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return st, fmt.Errorf("uapi line %q: no '='", line)
		}
		var err error
		switch {
		case key == "listen_port":
			var n uint64
			n, err = strconv.ParseUint(val, 10, 16)
			st.listenPort = uint16(n)
		case key == "public_key":
			flush()
			p = new(Peer)
			p.PublicKey, err = parseHexKey(val)
		case p == nil:
			// Device-level lines the hub does not use (private_key, fwmark).
		case key == "endpoint":
			var ap netip.AddrPort
			ap, err = netip.ParseAddrPort(val)
			p.Endpoint = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		case key == "last_handshake_time_sec":
			hsSec, err = strconv.ParseInt(val, 10, 64)
		case key == "last_handshake_time_nsec":
			hsNsec, err = strconv.ParseInt(val, 10, 64)
		case key == "rx_bytes":
			p.ReceiveBytes, err = strconv.ParseInt(val, 10, 64)
		case key == "tx_bytes":
			p.TransmitBytes, err = strconv.ParseInt(val, 10, 64)
		case key == "allowed_ip":
			var pfx netip.Prefix
			pfx, err = netip.ParsePrefix(val)
			if err == nil && pfx.IsSingleIP() && !p.Address.IsValid() {
				p.Address = pfx.Addr()
			}
		}
		if err != nil {
			return st, fmt.Errorf("uapi line %q: %w", line, err)
		}
	}
	flush()
	return st, nil
}

func parseHexKey(s string) (wgtypes.Key, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return wgtypes.Key{}, err
	}
	return wgtypes.NewKey(b)
}
