package hub

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"

	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/netstack"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/remora-sec/remora/infra/wglog"
)

// Hub is a running WireGuard hub. Its methods are safe for concurrent use;
// peers may be added and removed while traffic flows.
type Hub struct {
	cfg  Config
	pub  wgtypes.Key
	dev  *device.Device
	tnet *netstack.Net
	uapi net.Listener // nil without Config.UAPIName

	// mu serializes configuration changes, so that the device and the maps
	// below always agree, and guards the maps.
	mu        sync.Mutex
	closed    bool
	peers     map[wgtypes.Key]netip.Addr // what SetPeer registered
	owners    map[netip.Addr]wgtypes.Key // the inverse of peers
	conns     map[netip.Addr]map[*peerConn]struct{}
	listeners map[*listener]struct{}
}

// New starts a hub: a wireguard-go device on a netstack TUN holding
// cfg.Address, its UDP socket on cfg.ListenAddr, and no peers yet.
func New(cfg Config) (*Hub, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	tdev, tnet, err := netstack.CreateNetTUN([]netip.Addr{cfg.Address}, nil, cfg.MTU)
	if err != nil {
		return nil, fmt.Errorf("hub: create netstack: %w", err)
	}
	h := &Hub{
		cfg:       cfg,
		pub:       cfg.PrivateKey.PublicKey(),
		dev:       device.NewDevice(tdev, newBind(cfg.ListenAddr.Addr()), wglog.New(cfg.Logger)),
		tnet:      tnet,
		peers:     make(map[wgtypes.Key]netip.Addr),
		owners:    make(map[netip.Addr]wgtypes.Key),
		conns:     make(map[netip.Addr]map[*peerConn]struct{}),
		listeners: make(map[*listener]struct{}),
	}
	if err := h.start(); err != nil {
		h.dev.Close()
		return nil, err
	}
	return h, nil
}

// start configures the key and port, brings the device up (which opens the
// UDP socket, so a port in use fails here and not later) and serves UAPI.
func (h *Hub) start() error {
	set := fmt.Sprintf("private_key=%s\nlisten_port=%d\n",
		hexKey(h.cfg.PrivateKey), h.cfg.ListenAddr.Port())
	if err := h.dev.IpcSet(set); err != nil {
		return fmt.Errorf("hub: configure device on %s: %w", h.cfg.ListenAddr, err)
	}
	if err := h.dev.Up(); err != nil {
		return fmt.Errorf("hub: bring device up on %s: %w", h.cfg.ListenAddr, err)
	}
	if h.cfg.UAPIName != "" {
		l, err := serveUAPI(h.cfg.UAPIName, h.dev)
		if err != nil {
			return err
		}
		h.uapi = l
	}
	return nil
}

// PublicKey is the key VENs put in their hub peer.
func (h *Hub) PublicKey() wgtypes.Key { return h.pub }

// Address is the hub's tunnel address, where Listen listens.
func (h *Hub) Address() netip.Addr { return h.cfg.Address }

// ListenAddr is the UDP address the hub listens on, with the actual port
// when the configured one was 0. VENs get it as the hub's endpoint, after
// the caller puts a routable address in place of an unspecified one.
func (h *Hub) ListenAddr() (netip.AddrPort, error) {
	st, err := h.state()
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(h.cfg.ListenAddr.Addr(), st.listenPort), nil
}

// Close stops the hub: the UAPI socket, every listener and connection on
// the netstack, and the device with its UDP socket. Close is idempotent.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	ls := h.listeners
	cs := h.conns
	h.listeners, h.conns = nil, nil
	h.mu.Unlock()

	var errs []error
	if h.uapi != nil {
		if err := h.uapi.Close(); err != nil {
			errs = append(errs, fmt.Errorf("hub: close uapi socket: %w", err))
		}
	}
	// Closed by hand: their errors only say they were closed already.
	for l := range ls {
		l.Listener.Close()
	}
	for _, set := range cs {
		for c := range set {
			c.Conn.Close()
		}
	}
	h.dev.Close()
	return errors.Join(errs...)
}

// errClosed is what configuration calls return after Close.
var errClosed = errors.New("hub is closed")

func hexKey(k wgtypes.Key) string { return hex.EncodeToString(k[:]) }

// state reads the device's configuration and counters back through its UAPI
// "get" operation, the only interface wireguard-go offers for them.
func (h *Hub) state() (deviceState, error) {
	var b strings.Builder
	if err := h.dev.IpcGetOperation(&b); err != nil {
		return deviceState{}, fmt.Errorf("hub: read device state: %w", err)
	}
	st, err := parseState(b.String())
	if err != nil {
		return deviceState{}, fmt.Errorf("hub: read device state: %w", err)
	}
	return st, nil
}
