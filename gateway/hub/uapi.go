package hub

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
)

// uapiDir is where wireguard-go's ipc package puts UAPI sockets, and where
// wg(8) looks for them.
const uapiDir = "/var/run/wireguard"

// serveUAPI serves the device's configuration socket
// /var/run/wireguard/<name>.sock, which is what wg(8) talks to for a
// userspace device. The socket is created mode 0700 under a 077 umask:
// whoever can open it can reconfigure the hub, so it is for root only.
//
// Peers added through it are WireGuard peers, not VENs: the hub's listeners
// refuse their connections (see admit).
func serveUAPI(name string, dev *device.Device) (net.Listener, error) {
	path := uapiDir + "/" + name + ".sock"
	// ipc.UAPIOpen's own error for a directory it may not write is a
	// baffling "remove ...: no such file or directory"; say what is wrong.
	if err := os.MkdirAll(uapiDir, 0o755); err != nil {
		return nil, fmt.Errorf("hub: uapi socket %s: directory %s cannot be created, its parent is not writable by this process (run as root, or leave UAPIName empty): %w", path, uapiDir, err)
	}
	if err := unix.Access(uapiDir, unix.W_OK|unix.X_OK); err != nil {
		return nil, fmt.Errorf("hub: uapi socket %s: directory %s is not writable by this process (run as root, or leave UAPIName empty): %w", path, uapiDir, err)
	}
	f, err := ipc.UAPIOpen(name)
	if err != nil {
		return nil, fmt.Errorf("hub: uapi socket %s: %w", path, err)
	}
	defer f.Close() // UAPIListen holds its own copy of the descriptor
	l, err := ipc.UAPIListen(name, f)
	if err != nil {
		return nil, fmt.Errorf("hub: uapi socket %s: %w", path, err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // the listener was closed
			}
			go dev.IpcHandle(c)
		}
	}()
	return l, nil
}
