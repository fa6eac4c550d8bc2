package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/remora-sec/remora/ven/enforce"
	"github.com/remora-sec/remora/ven/tunnel"
	"github.com/remora-sec/remora/ven/wire"
)

// RunConfig is what a running agent needs.
type RunConfig struct {
	Dir   string
	State *State
	// Endpoint is the hub's endpoint, resolved (ResolveEndpoint); zero
	// when it could not be, and Run resolves it again before each attempt
	// to bring the tunnel up.
	Endpoint netip.AddrPort
	Enforcer Enforcer
	// CheckInterval is the tamper check's period; zero means
	// DefaultCheckInterval.
	CheckInterval time.Duration
	// OfflineOK keeps the agent running, enforcing its saved policy, when
	// the tunnel cannot be brought up at start; it retries with backoff.
	// Without it Run returns the error (after the boot apply), so that a
	// supervisor reports the failure.
	OfflineOK bool
	Version   string
	Log       *slog.Logger
	Clock     Clock // nil means SystemClock
}

// OpenEnforcer returns the enforcer for s: the default table in the
// namespace netns (0: this process's), with the tunnel and the hub's
// endpoint exempt so that no policy can cut the VEN off from the PCE.
func OpenEnforcer(s *State, endpoint netip.AddrPort, netns int, log *slog.Logger) (Enforcer, error) {
	e, err := enforce.New(enforce.Config{NetNS: netns, Exempt: enforce.Exempt{TunnelIface: s.Iface, PCEEndpoint: endpoint}})
	if err != nil {
		return nil, err
	}
	return NewEnforcer(e, log), nil
}

// BootApply re-applies the saved document, the first thing a starting
// agent does, so that the host is protected before the PCE is reached. It
// returns the document now in force, or nil. With nothing saved it does
// nothing; a saved document that is corrupt or fails to apply is returned
// as an error and the firewall is left exactly as it is (never opened).
func BootApply(dir, workload string, e Enforcer) (*wire.Document, error) {
	d, _, err := LoadPolicy(dir, workload)
	if errors.Is(err, ErrNoPolicy) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := e.Apply(d); err != nil {
		return nil, fmt.Errorf("re-apply saved policy generation %d: %w", d.Generation, err)
	}
	return d, nil
}

// Run is the agent: it re-applies the saved policy, starts the tamper
// check, brings the tunnel up, then heartbeats and polls for policy until
// ctx ends. On the way out it stops its loops and takes the tunnel down but
// leaves the firewall as it is: the host stays protected while the agent
// is stopped, and only unpair removes the rules.
func Run(ctx context.Context, c RunConfig) error {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.CheckInterval <= 0 {
		c.CheckInterval = DefaultCheckInterval
	}
	log := c.Log
	boot, err := BootApply(c.Dir, c.State.Workload, c.Enforcer)
	switch {
	case err != nil:
		log.Error("saved policy not applied; the firewall is left as it is until the PCE sends a policy", "err", err)
	case boot == nil:
		log.Info("no saved policy; the firewall is left as it is until the PCE sends one")
	default:
		log.Info("saved policy re-applied", "generation", boot.Generation, "hash", boot.Hash)
	}
	enforced := NewEnforced(boot)

	loops, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	checker := &Checker{Enforcer: c.Enforcer, Enforced: enforced, Interval: c.CheckInterval, Clock: c.Clock, Log: log}
	wg.Go(func() { checker.Run(loops) })

	tun, err := c.bringUp(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	reset := func() {
		if err := tun.Reset(); err != nil {
			log.Warn("reset tunnel session", "err", err)
		}
	}
	client := NewAPIClient()
	defer client.CloseIdleConnections()
	base := c.State.APIBase()
	poller := &Poller{Client: client, Base: base, Workload: c.State.Workload, Dir: c.Dir, Enforcer: c.Enforcer,
		Enforced: enforced, Clock: c.Clock, Unreachable: reset, Log: log}
	hb := &Heartbeater{Client: client, Base: base, Iface: c.State.Iface, Version: c.Version, Enforcer: c.Enforcer,
		Enforced: enforced, Interval: time.Duration(c.State.HeartbeatSeconds) * time.Second, Clock: c.Clock,
		Unreachable: reset, Log: log}
	wg.Go(func() { poller.Run(loops) })
	wg.Go(func() { hb.Run(loops) })
	log.Info("running", "ven_id", c.State.VEN, "workload_id", c.State.Workload, "iface", c.State.Iface,
		"tunnel_address", c.State.TunnelAddress, "api", base)

	<-ctx.Done()
	stop()
	wg.Wait()
	if err := tun.Down(); err != nil {
		return fmt.Errorf("take the tunnel down: %w", err)
	}
	gen, _ := enforced.Current()
	log.Info("stopped; the firewall keeps enforcing", "generation", gen)
	return nil
}

// bringUp brings the tunnel up, resolving the endpoint if it is not
// known. With OfflineOK it retries until it succeeds or ctx ends.
func (c *RunConfig) bringUp(ctx context.Context) (*tunnel.Tunnel, error) {
	b := Backoff{}
	for {
		tun, err := c.tryUp(ctx)
		if err == nil {
			return tun, nil
		}
		if !c.OfflineOK {
			return nil, err
		}
		wait := b.Next()
		c.Log.Error("tunnel not up; enforcing the saved policy meanwhile", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.Clock.After(wait):
		}
	}
}

func (c *RunConfig) tryUp(ctx context.Context) (*tunnel.Tunnel, error) {
	ep := c.Endpoint
	if !ep.IsValid() {
		var err error
		if ep, err = lookupEndpoint(ctx, c.State.HubEndpoint); err != nil {
			return nil, err
		}
	}
	cfg, err := c.State.TunnelConfig(ep)
	if err != nil {
		return nil, err
	}
	cfg.Logger = c.Log
	return tunnel.Up(cfg)
}
