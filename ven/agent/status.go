package agent

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Status is what `remora-ven status` shows: the identity from the state
// file, the document saved as applied, whether an agent runs, and the
// tunnel as WireGuard reports it.
type Status struct {
	Paired        bool         `json:"paired"`
	StateDir      string       `json:"state_dir"`
	VEN           string       `json:"ven_id,omitempty"`
	Workload      string       `json:"workload_id,omitempty"`
	PCE           string       `json:"pce_url,omitempty"`
	Iface         string       `json:"iface,omitempty"`
	TunnelAddress netip.Prefix `json:"tunnel_address,omitzero"`
	HubEndpoint   string       `json:"hub_endpoint,omitempty"`
	PairedAt      time.Time    `json:"paired_at,omitzero"`

	Running bool `json:"running"`
	PID     int  `json:"pid,omitempty"`

	// The applied document, as saved; PolicyError when it cannot be read.
	Generation  uint64 `json:"generation,omitempty"`
	Hash        string `json:"hash,omitempty"`
	Mode        string `json:"enforcement_mode,omitempty"`
	PolicyError string `json:"policy_error,omitempty"`

	// Tunnel is set when the interface exists.
	Tunnel *TunnelStatus `json:"tunnel,omitempty"`
}

// TunnelStatus is the hub peer as wgctrl reads it.
type TunnelStatus struct {
	Endpoint      string    `json:"endpoint,omitempty"`
	LastHandshake time.Time `json:"last_handshake,omitzero"`
	ReceiveBytes  int64     `json:"rx_bytes"`
	TransmitBytes int64     `json:"tx_bytes"`
}

// ReadStatus gathers the Status of dir. Not being paired is a Status, not
// an error; a corrupt state file is an error.
func ReadStatus(dir string) (Status, error) {
	st := Status{StateDir: dir}
	s, err := LoadState(dir)
	if errors.Is(err, ErrNotPaired) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Paired = true
	st.VEN, st.Workload, st.PCE, st.Iface = s.VEN, s.Workload, s.PCE, s.Iface
	st.TunnelAddress, st.HubEndpoint, st.PairedAt = s.TunnelAddress, s.HubEndpoint, s.PairedAt
	if st.PID, st.Running, err = RunningPID(dir); err != nil {
		return st, err
	}
	switch d, _, err := LoadPolicy(dir, s.Workload); {
	case errors.Is(err, ErrNoPolicy):
	case err != nil:
		st.PolicyError = err.Error()
	default:
		st.Generation, st.Hash, st.Mode = d.Generation, d.Hash, d.Mode
	}
	st.Tunnel, err = tunnelStatus(s)
	return st, err
}

// tunnelStatus reads the hub peer of the tunnel interface, or nil when
// the interface does not exist (the agent is not running).
func tunnelStatus(s *State) (*TunnelStatus, error) {
	wg, err := wgctrl.New()
	if err != nil {
		return nil, fmt.Errorf("open wgctrl: %w", err)
	}
	defer wg.Close()
	d, err := wg.Device(s.Iface)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.Iface, err)
	}
	hub, _ := wgtypes.ParseKey(s.HubPublicKey) // validated by LoadState
	for _, p := range d.Peers {
		if p.PublicKey != hub {
			continue
		}
		ts := &TunnelStatus{LastHandshake: p.LastHandshakeTime, ReceiveBytes: p.ReceiveBytes, TransmitBytes: p.TransmitBytes}
		if p.Endpoint != nil {
			ts.Endpoint = p.Endpoint.String()
		}
		return ts, nil
	}
	return &TunnelStatus{}, nil
}
