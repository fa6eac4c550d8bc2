// Package wglog adapts wireguard-go's printf-style logger to log/slog, so the
// PCE's hub and the VEN's userspace tunnel log through the same structured
// logger as the rest of their process. It lives apart from infra/logging so
// that only the two packages running wireguard-go pull wireguard-go in.
package wglog

import (
	"context"
	"fmt"
	"log/slog"

	"golang.zx2c4.com/wireguard/device"
)

// New returns a device.Logger writing to l. wireguard-go's verbose lines
// (handshakes, keepalives, routine starts) go out at debug level and are not
// even formatted when debug is off: a busy hub emits several per peer and
// minute. Its error lines go out at warn level, because wireguard-go reports
// as errors what a hub on the internet sees routinely (bad packets, unknown
// peers, a send to a peer that went away); the caller decides what is fatal.
func New(l *slog.Logger) *device.Logger {
	return &device.Logger{
		Verbosef: func(format string, args ...any) {
			if l.Enabled(context.Background(), slog.LevelDebug) {
				l.Debug(fmt.Sprintf(format, args...), "component", "wireguard")
			}
		},
		Errorf: func(format string, args ...any) {
			l.Warn(fmt.Sprintf(format, args...), "component", "wireguard")
		},
	}
}
