package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/remora-sec/remora/ven/wire"
)

// PairOptions are the inputs of Pair: the install line's arguments.
type PairOptions struct {
	PCE         string // https URL of the PCE
	Token       string // install token
	Fingerprint string // optional SHA-256 pin of the PCE's certificate
	Dir         string // state directory
	Iface       string // tunnel interface name; "" means DefaultIface
	// Force re-pairs a host that is already paired (with a new identity).
	Force bool
	// Timeout bounds the pairing call; zero means 30 s.
	Timeout time.Duration
	Log     *slog.Logger
}

// Pair registers this host with the PCE: it makes a WireGuard key, posts
// the token, the public key and the host's interfaces over HTTPS, and saves
// what the PCE answers as the State. The private key never leaves the host.
//
// It checks everything it can before the token is sent (the URL, the pin's
// syntax, that the host is not paired yet, that the state directory can be
// written), because the PCE consumes the token: a pairing that fails after
// that costs a token use.
func Pair(ctx context.Context, o PairOptions) (*State, error) {
	if o.Iface == "" {
		o.Iface = DefaultIface
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(o.PCE)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--pce %q: want the PCE's https URL, such as https://pce.example.com:8443", o.PCE)
	}
	if strings.TrimSpace(o.Token) == "" {
		return nil, errors.New("--token: required")
	}
	if !ifaceName.MatchString(o.Iface) {
		return nil, fmt.Errorf("--iface %q: not an interface name (1-15 of A-Z a-z 0-9 _=+.-)", o.Iface)
	}
	tlsConf := systemTLS()
	if o.Fingerprint != "" {
		pin, err := ParseFingerprint(o.Fingerprint)
		if err != nil {
			return nil, fmt.Errorf("--pce-fingerprint: %w", err)
		}
		tlsConf = pinnedTLS(pin)
	}
	if err := checkNotPaired(o.Dir, o.Force); err != nil {
		return nil, err
	}
	if err := checkWritable(o.Dir); err != nil {
		return nil, err
	}

	key, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return nil, fmt.Errorf("generate WireGuard key: %w", err)
	}
	ifs, err := Discover(o.Iface)
	if err != nil {
		return nil, err
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("hostname: %w", err)
	}
	req := wire.PairRequest{Token: o.Token, PublicKey: key.PublicKey().String(), Hostname: host, OS: hostOS(), Interfaces: ifs}
	hc := &http.Client{
		Timeout:   o.Timeout,
		Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tlsConf, ForceAttemptHTTP2: true},
		// A redirect would re-send the token elsewhere: refuse to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := postPair(ctx, hc, strings.TrimSuffix(o.PCE, "/")+wire.PairPath, req)
	if err != nil {
		return nil, err
	}
	s, err := stateFromPair(resp, key, o)
	if err != nil {
		return nil, fmt.Errorf("the PCE paired this host as VEN %q but its answer is unusable: %w", resp.VEN, err)
	}
	if ep, err := lookupEndpoint(ctx, s.HubEndpoint); err != nil {
		o.Log.Warn("hub endpoint does not resolve now; run will try again", "endpoint", s.HubEndpoint, "err", err)
	} else {
		s.HubEndpointAddr = ep
	}
	if err := SaveState(o.Dir, s); err != nil {
		return nil, fmt.Errorf("paired as VEN %s but could not save the state: %w", s.VEN, err)
	}
	// A policy saved under an earlier identity is not this workload's.
	if err := os.Remove(filepath.Join(o.Dir, PolicyFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove the previous identity's policy: %w", err)
	}
	o.Log.Info("paired", "ven_id", s.VEN, "workload_id", s.Workload, "tunnel_address", s.TunnelAddress, "hub_endpoint", s.HubEndpoint)
	return s, nil
}

// checkNotPaired refuses to pair over an existing identity unless forced,
// and even then while an agent runs with it.
func checkNotPaired(dir string, force bool) error {
	s, err := LoadState(dir)
	switch {
	case errors.Is(err, ErrNotPaired):
		return nil
	case !force && err != nil:
		return fmt.Errorf("%w; pair --force replaces it", err)
	case !force:
		return fmt.Errorf("already paired as VEN %s (workload %s) with %s; unpair first, or pair --force for a new identity", s.VEN, s.Workload, s.PCE)
	}
	if pid, running, err := RunningPID(dir); err != nil {
		return err
	} else if running {
		return fmt.Errorf("an agent is running with the current identity (pid %d); stop it before pairing again", pid)
	}
	return nil
}

// checkWritable makes sure the state can be saved once the token is spent.
func checkWritable(dir string) error {
	if err := ensureDir(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("state directory %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// maxPairBody bounds the pairing answer.
const maxPairBody = 1 << 20

// defaultHeartbeatSeconds is the interval when the PCE gives none.
const defaultHeartbeatSeconds = 60

func postPair(ctx context.Context, hc *http.Client, url string, pr wire.PairRequest) (*wire.PairResponse, error) {
	body, err := json.Marshal(pr)
	if err != nil {
		return nil, fmt.Errorf("encode pair request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("pair request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, application/problem+json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("pair with %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("pairing refused: %w", readError(resp))
	}
	var out wire.PairResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxPairBody)).Decode(&out); err != nil {
		return nil, fmt.Errorf("pair with %s: decode answer: %w", url, err)
	}
	return &out, nil
}

// stateFromPair checks the PCE's answer and makes the State of it.
func stateFromPair(r *wire.PairResponse, key wgtypes.Key, o PairOptions) (*State, error) {
	addr, err := netip.ParsePrefix(r.TunnelAddress)
	if err != nil {
		return nil, fmt.Errorf("tunnel_address %q: %v", r.TunnelAddress, err)
	}
	hub, err := netip.ParseAddr(r.HubAddress)
	if err != nil {
		return nil, fmt.Errorf("hub_tunnel_address %q: %v", r.HubAddress, err)
	}
	s := &State{
		VEN:              r.VEN,
		Workload:         r.Workload,
		PrivateKey:       key.String(),
		TunnelAddress:    addr,
		HubPublicKey:     r.HubPublicKey,
		HubEndpoint:      r.HubEndpoint,
		HubAddress:       hub,
		APIPort:          r.APIPort,
		HeartbeatSeconds: r.HeartbeatSeconds,
		PCE:              o.PCE,
		Iface:            o.Iface,
		PairedAt:         time.Now().UTC(),
	}
	if s.HeartbeatSeconds == 0 {
		// Not given: the default until a heartbeat reply says otherwise.
		s.HeartbeatSeconds = defaultHeartbeatSeconds
	}
	if o.Fingerprint != "" {
		pin, _ := ParseFingerprint(o.Fingerprint) // checked before pairing
		s.Fingerprint = pin.String()
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}
