// Package logging builds the PCE's structured logger: JSON lines through
// log/slog, one object per event, so logs are machine-readable by default.
package logging

import (
	"io"
	"log/slog"
)

// New returns a JSON logger writing to w at level ("debug", "info", "warn",
// "error"; config has validated it).
func New(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
