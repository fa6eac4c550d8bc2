package tunnel

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// Tunnel is an interface up and configured. Its methods are safe for
// concurrent use.
type Tunnel struct {
	mu   sync.Mutex
	cfg  Config
	wg   *wgctrl.Client
	user *userspace // nil when the kernel runs the device
	down bool
}

// Stats is the hub peer's state, as wg(8) shows it.
type Stats struct {
	// Userspace is true when wireguard-go runs the interface.
	Userspace bool
	Endpoint  netip.AddrPort
	// LastHandshake is zero if no handshake completed yet.
	LastHandshake time.Time
	ReceiveBytes  int64
	TransmitBytes int64
}

// Up creates the interface cfg.Iface (replacing a leftover one from an
// earlier run), configures its key and hub peer through wgctrl, gives it
// cfg.Address, sets it up and routes the hub's AllowedIPs through it. The
// persistent keepalive starts the handshake at once. On error nothing is
// left behind.
func Up(cfg Config) (*Tunnel, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	user, err := createLink(cfg)
	if err != nil {
		return nil, err
	}
	t := &Tunnel{cfg: cfg, user: user}
	if err := t.start(); err != nil {
		return nil, errors.Join(err, t.Down())
	}
	return t, nil
}

func (t *Tunnel) start() error {
	wg, err := wgctrl.New()
	if err != nil {
		return fmt.Errorf("tunnel: open wgctrl: %w", err)
	}
	t.wg = wg
	if err := wg.ConfigureDevice(t.cfg.Iface, deviceConfig(t.cfg)); err != nil {
		return fmt.Errorf("tunnel: configure %s: %w", t.cfg.Iface, err)
	}
	return configureLink(t.cfg, Config{})
}

// Config returns the configuration in force, defaults filled in.
func (t *Tunnel) Config() Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cfg
}

// Down removes the interface and, in userspace mode, stops wireguard-go.
// It is idempotent.
func (t *Tunnel) Down() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		return nil
	}
	t.down = true
	var errs []error
	if t.wg != nil {
		if err := t.wg.Close(); err != nil {
			errs = append(errs, fmt.Errorf("tunnel: close wgctrl: %w", err))
		}
	}
	if t.user != nil {
		errs = append(errs, t.user.close())
	}
	// In userspace mode closing the TUN device removed the link already.
	errs = append(errs, deleteLink(t.cfg.Iface))
	return errors.Join(errs...)
}

// Stats reads the hub peer's handshake and counters through wgctrl.
func (t *Tunnel) Stats() (Stats, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		return Stats{}, fmt.Errorf("tunnel: stats of %s: %w", t.cfg.Iface, errDown)
	}
	d, err := t.wg.Device(t.cfg.Iface)
	if err != nil {
		return Stats{}, fmt.Errorf("tunnel: stats of %s: %w", t.cfg.Iface, err)
	}
	for _, p := range d.Peers {
		if p.PublicKey != t.cfg.Hub.PublicKey {
			continue
		}
		s := Stats{
			Userspace:     t.user != nil,
			LastHandshake: p.LastHandshakeTime,
			ReceiveBytes:  p.ReceiveBytes,
			TransmitBytes: p.TransmitBytes,
		}
		if p.Endpoint != nil {
			ap := p.Endpoint.AddrPort()
			s.Endpoint = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
		return s, nil
	}
	return Stats{}, fmt.Errorf("tunnel: stats of %s: hub peer %s is not configured", t.cfg.Iface, t.cfg.Hub.PublicKey)
}

// SetEndpoint re-points the hub peer at ep (the PCE moved) without touching
// its session or the interface.
func (t *Tunnel) SetEndpoint(ep netip.AddrPort) error {
	if !ep.IsValid() || ep.Port() == 0 {
		return fmt.Errorf("tunnel: set endpoint: %q needs an address and a port", ep)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		return fmt.Errorf("tunnel: set endpoint: %w", errDown)
	}
	err := t.wg.ConfigureDevice(t.cfg.Iface, wgtypes.Config{Peers: []wgtypes.PeerConfig{{
		PublicKey:  t.cfg.Hub.PublicKey,
		UpdateOnly: true,
		Endpoint:   net.UDPAddrFromAddrPort(ep),
	}}})
	if err != nil {
		return fmt.Errorf("tunnel: set endpoint %s: %w", ep, err)
	}
	t.cfg.Hub.Endpoint = ep
	return nil
}

// Reconfigure applies cfg to the running interface: key, hub peer, address
// and routes. The interface name cannot change. Like Reset, it re-creates
// the hub peer and so starts a fresh handshake. On error the interface may
// be half reconfigured (WireGuard done, address or routes not): call
// Reconfigure again, or Down.
func (t *Tunnel) Reconfigure(cfg Config) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		return fmt.Errorf("tunnel: reconfigure: %w", errDown)
	}
	if cfg.Iface != t.cfg.Iface {
		return fmt.Errorf("tunnel: reconfigure: Iface %q cannot change to %q; Down and Up instead", t.cfg.Iface, cfg.Iface)
	}
	if err := t.wg.ConfigureDevice(cfg.Iface, deviceConfig(cfg)); err != nil {
		return fmt.Errorf("tunnel: reconfigure %s: %w", cfg.Iface, err)
	}
	if err := configureLink(cfg, t.cfg); err != nil {
		return fmt.Errorf("tunnel: reconfigure: %w", err)
	}
	t.cfg = cfg
	return nil
}

// Reset drops the session with the hub so that the next packet starts a
// fresh handshake. A hub that forgot this VEN (it was removed, then added
// again, or the PCE restarted) silently drops packets of the old session,
// and WireGuard itself only gives up on a session that gets no answer
// after some 15 seconds; an agent whose requests time out calls Reset to
// recover at once.
func (t *Tunnel) Reset() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		return fmt.Errorf("tunnel: reset: %w", errDown)
	}
	if err := t.wg.ConfigureDevice(t.cfg.Iface, deviceConfig(t.cfg)); err != nil {
		return fmt.Errorf("tunnel: reset %s: %w", t.cfg.Iface, err)
	}
	return nil
}

var errDown = errors.New("tunnel is down")
