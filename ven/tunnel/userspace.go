package tunnel

import (
	"errors"
	"fmt"
	"net"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
	"golang.zx2c4.com/wireguard/tun"

	"github.com/remora-sec/remora/infra/wglog"
)

// userspace is wireguard-go running the interface in this process: a TUN
// device, the WireGuard device on it, and the UAPI socket through which
// wgctrl configures it exactly as it would a kernel device.
type userspace struct {
	dev  *device.Device
	uapi net.Listener
}

// startUserspace creates the TUN device c.Iface and serves its UAPI socket.
// The WireGuard device comes up by itself when the link is set up.
func startUserspace(c Config) (*userspace, error) {
	tdev, err := tun.CreateTUN(c.Iface, c.MTU)
	if err != nil {
		return nil, fmt.Errorf("tunnel: create TUN device %s: %w", c.Iface, err)
	}
	dev := device.NewDevice(tdev, conn.NewStdNetBind(), wglog.New(c.Logger))
	f, err := ipc.UAPIOpen(c.Iface)
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("tunnel: UAPI socket for %s: %w", c.Iface, err)
	}
	defer f.Close() // UAPIListen holds its own copy of the descriptor
	l, err := ipc.UAPIListen(c.Iface, f)
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("tunnel: UAPI socket for %s: %w", c.Iface, err)
	}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return // the listener was closed
			}
			go dev.IpcHandle(conn)
		}
	}()
	return &userspace{dev: dev, uapi: l}, nil
}

// close stops serving UAPI (removing the socket) and closes the device,
// which closes the TUN device and so removes the interface.
func (u *userspace) close() error {
	err := u.uapi.Close()
	u.dev.Close()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("tunnel: close UAPI socket: %w", err)
	}
	return nil
}
