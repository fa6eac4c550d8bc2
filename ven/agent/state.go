package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/remora-sec/remora/ven/tunnel"
)

// DefaultIface is the tunnel interface's name unless pairing says otherwise.
const DefaultIface = "remora0"

// State is what pairing leaves on disk for `run`, `status` and `unpair`:
// who this VEN is and how to reach the PCE through the tunnel. It is written
// once, by pair, and read by everything else.
type State struct {
	VEN           string       `json:"ven_id"`
	Workload      string       `json:"workload_id"`
	PrivateKey    string       `json:"private_key"`    // base64, as wg(8) prints it
	TunnelAddress netip.Prefix `json:"tunnel_address"` // this VEN's, e.g. 100.64.0.7/32
	HubPublicKey  string       `json:"hub_public_key"`
	// HubEndpoint is the hub's UDP endpoint as the PCE gave it (host:port);
	// HubEndpointAddr is what it resolved to when pairing, the fallback
	// when it does not resolve at start.
	HubEndpoint      string         `json:"hub_endpoint"`
	HubEndpointAddr  netip.AddrPort `json:"hub_endpoint_addr"`
	HubAddress       netip.Addr     `json:"hub_tunnel_address"`
	APIPort          int            `json:"api_port"`
	HeartbeatSeconds int            `json:"heartbeat_seconds"`
	PCE              string         `json:"pce_url"`
	Fingerprint      string         `json:"pce_fingerprint,omitempty"`
	Iface            string         `json:"iface"`
	PairedAt         time.Time      `json:"paired_at"`
}

// ErrNotPaired is returned by LoadState when the directory has no state.
var ErrNotPaired = errors.New("not paired")

// ifaceName is what Linux accepts as an interface name (and ven/tunnel as
// a UAPI socket name).
var ifaceName = regexp.MustCompile(`^[A-Za-z0-9_=+.-]{1,15}$`)

// LoadState reads and checks dir's state file. A missing file is
// ErrNotPaired; a file that does not parse or lacks a field is an error
// naming the file and the field, never a half-filled State.
func LoadState(dir string) (*State, error) {
	path := filepath.Join(dir, StateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s", ErrNotPaired, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt: %v (unpair or pair --force to start again)", path, err)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt: %w (unpair or pair --force to start again)", path, err)
	}
	return &s, nil
}

// SaveState writes s to dir atomically, mode 0600 in a 0700 directory.
func SaveState(dir string, s *State) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return writeFileAtomic(dir, StateFile, append(b, '\n'))
}

// validate checks every field a later command relies on, naming the first
// bad one. HubEndpointAddr may be unset: pairing could not resolve the
// endpoint, and run resolves it then.
func (s *State) validate() error {
	if _, _, err := s.keys(); err != nil {
		return err
	}
	switch {
	case s.VEN == "":
		return errors.New("ven_id: empty")
	case s.Workload == "":
		return errors.New("workload_id: empty")
	case !s.TunnelAddress.IsValid():
		return errors.New("tunnel_address: missing")
	case !s.HubAddress.IsValid():
		return errors.New("hub_tunnel_address: missing")
	case s.HubEndpoint == "":
		return errors.New("hub_endpoint: empty")
	case s.APIPort < 1 || s.APIPort > 65535:
		return fmt.Errorf("api_port: %d is not a port", s.APIPort)
	case s.HeartbeatSeconds < 1:
		return fmt.Errorf("heartbeat_seconds: %d, want at least 1", s.HeartbeatSeconds)
	case !ifaceName.MatchString(s.Iface):
		return fmt.Errorf("iface: %q is not an interface name", s.Iface)
	}
	u, err := url.Parse(s.PCE)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("pce_url: %q is not an https URL", s.PCE)
	}
	if s.Fingerprint != "" {
		if _, err := ParseFingerprint(s.Fingerprint); err != nil {
			return fmt.Errorf("pce_fingerprint: %w", err)
		}
	}
	return nil
}

func (s *State) keys() (priv, hub wgtypes.Key, err error) {
	if priv, err = wgtypes.ParseKey(s.PrivateKey); err != nil {
		return priv, hub, fmt.Errorf("private_key: %v", err)
	}
	if hub, err = wgtypes.ParseKey(s.HubPublicKey); err != nil {
		return priv, hub, fmt.Errorf("hub_public_key: %v", err)
	}
	return priv, hub, nil
}

// TunnelConfig is the tunnel to the hub at endpoint (the resolved
// HubEndpoint).
func (s *State) TunnelConfig(endpoint netip.AddrPort) (tunnel.Config, error) {
	priv, hub, err := s.keys()
	if err != nil {
		return tunnel.Config{}, err
	}
	if !endpoint.IsValid() || endpoint.Port() == 0 {
		return tunnel.Config{}, fmt.Errorf("hub endpoint address %q: want an address and a port", endpoint)
	}
	return tunnel.Config{
		Iface:      s.Iface,
		PrivateKey: priv,
		Address:    s.TunnelAddress,
		Hub: tunnel.Hub{
			PublicKey:  hub,
			Endpoint:   endpoint,
			AllowedIPs: []netip.Prefix{netip.PrefixFrom(s.HubAddress, s.HubAddress.BitLen())},
		},
	}, nil
}

// APIBase is the VEN API's base URL on the hub's tunnel address.
func (s *State) APIBase() string {
	return "http://" + netip.AddrPortFrom(s.HubAddress, uint16(s.APIPort)).String()
}
