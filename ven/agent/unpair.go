package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/remora-sec/remora/ven/enforce"
	"github.com/remora-sec/remora/ven/tunnel"
)

// Restore modes of Unpair: what the firewall is left as.
const (
	RestoreOpen   = enforce.RestoreOpen   // no table: the host is unfiltered
	RestoreClosed = enforce.RestoreClosed // drop all but loopback, established and exempt
)

// UnpairOptions are the inputs of Unpair.
type UnpairOptions struct {
	Dir     string
	Restore string // RestoreOpen or RestoreClosed
	// KeepOnError stops the unpairing, changing nothing, when the PCE
	// cannot be told; without it the host is unpaired locally anyway.
	KeepOnError bool
	// Timeout bounds the goodbye (including bringing a tunnel up for it);
	// zero means 15 s.
	Timeout time.Duration
	// NetNS is the namespace of the firewall (0: this process's).
	NetNS int
	Log   *slog.Logger
}

// UnpairReport says what Unpair did.
type UnpairReport struct {
	VEN string
	// GoodbyeErr is why the PCE could not be told, if it could not.
	GoodbyeErr error
	// StoppedAgent is set when an agent was running and was stopped.
	StoppedAgent bool
}

// Unpair takes this host out of Remora: it tells the PCE (goodbye, over
// the tunnel: the running agent's, or one brought up for the purpose),
// stops the running agent, leaves the firewall open or closed as asked,
// and deletes the state. The order matters: the agent is stopped before
// the firewall is changed, or its tamper check would put the rules back;
// the PCE is told first, while the tunnel still exists.
func Unpair(ctx context.Context, o UnpairOptions) (UnpairReport, error) {
	var rep UnpairReport
	if o.Restore != RestoreOpen && o.Restore != RestoreClosed {
		return rep, fmt.Errorf("--restore %q: want open or closed", o.Restore)
	}
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s, err := LoadState(o.Dir)
	if err != nil {
		return rep, err
	}
	rep.VEN = s.VEN
	_, running, err := RunningPID(o.Dir)
	if err != nil {
		return rep, err
	}
	ep, epErr := ResolveEndpoint(ctx, o.Dir, s, o.Log)

	rep.GoodbyeErr = sayGoodbye(ctx, s, ep, epErr, running, o)
	if rep.GoodbyeErr != nil {
		if o.KeepOnError {
			return rep, fmt.Errorf("could not tell the PCE (nothing changed, --keep-on-error): %w", rep.GoodbyeErr)
		}
		o.Log.Warn("could not tell the PCE; unpairing locally anyway (the PCE keeps listing this VEN until it goes offline or an admin removes it)",
			"err", rep.GoodbyeErr)
	}

	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if rep.StoppedAgent, err = StopAgent(stopCtx, o.Dir); err != nil {
		return rep, err
	}
	enf, err := OpenEnforcer(s, ep, o.NetNS, o.Log)
	if err != nil {
		return rep, err
	}
	if err := enf.Remove(o.Restore); err != nil {
		return rep, err
	}
	return rep, removeFiles(o.Dir)
}

// sayGoodbye posts the goodbye within o.Timeout, through the running
// agent's tunnel or through one it brings up and takes down again.
func sayGoodbye(ctx context.Context, s *State, ep netip.AddrPort, epErr error, running bool, o UnpairOptions) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if !running {
		if epErr != nil {
			return epErr
		}
		cfg, err := s.TunnelConfig(ep)
		if err != nil {
			return err
		}
		cfg.Logger = o.Log
		tun, err := tunnel.Up(cfg)
		if err != nil {
			return fmt.Errorf("bring the tunnel up: %w", err)
		}
		defer func() {
			if err := tun.Down(); err != nil {
				o.Log.Warn("take the tunnel down", "err", err)
			}
		}()
	}
	client := NewAPIClient()
	defer client.CloseIdleConnections()
	a := api{client, s.APIBase()}
	// The first attempt may go out before the handshake completes, or on
	// a stale session; try until the time is up.
	b := Backoff{Min: 500 * time.Millisecond, Max: 2 * time.Second}
	for {
		err := a.goodbye(ctx)
		if err == nil || !errors.Is(err, errUnreachable) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(b.Next()):
		}
	}
}
