package agent

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/remora-sec/remora/ven/wire"
)

// Heartbeater reports this host to the PCE: at the interval the PCE asks
// for, at once when kicked (a new generation enforced, a tamper found), and
// after a failure again with backoff (never later than the interval). What
// it reports is read fresh each time: interfaces, counters, generation.
type Heartbeater struct {
	Client   *http.Client
	Base     string
	Iface    string // the tunnel, left out of the interfaces reported
	Version  string
	Enforcer Enforcer
	Enforced *Enforced
	Interval time.Duration
	Clock    Clock
	Backoff  Backoff
	// Unreachable, if set, is called when a heartbeat got no answer.
	Unreachable func()
	Log         *slog.Logger
}

// Run sends a first heartbeat at once, then beats until ctx ends.
func (h *Heartbeater) Run(ctx context.Context) {
	var wait time.Duration
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.Enforced.kicked():
		case <-h.Clock.After(wait):
		}
		wait = h.beat(ctx)
	}
}

// beat sends one heartbeat and returns the wait before the next.
func (h *Heartbeater) beat(ctx context.Context) time.Duration {
	hb := h.report()
	hb.Tampered = h.Enforced.takeTampered()
	reply, err := api{h.Client, h.Base}.heartbeat(ctx, hb)
	if err != nil {
		h.Enforced.untakeTampered(hb.Tampered)
		if ctx.Err() != nil {
			return 0
		}
		if errors.Is(err, errUnreachable) && h.Unreachable != nil {
			h.Unreachable()
		}
		wait := min(h.Backoff.Next(), h.Interval)
		h.Log.Warn("heartbeat failed", "err", err, "retry_in", wait.String())
		return wait
	}
	h.Backoff.Reset()
	if reply.HeartbeatSeconds > 0 {
		if d := time.Duration(reply.HeartbeatSeconds) * time.Second; d != h.Interval {
			h.Log.Info("heartbeat interval set by the PCE", "seconds", reply.HeartbeatSeconds)
			h.Interval = d
		}
	}
	if reply.Generation > hb.EnforcedGeneration {
		h.Log.Debug("the PCE has a newer generation", "generation", reply.Generation, "enforced", hb.EnforcedGeneration)
		h.Enforced.Behind()
	}
	return h.Interval
}

// report gathers the heartbeat's content. A part it cannot read (an
// interface listing, the counters) is logged and sent empty: the
// heartbeat itself, which keeps the workload online, matters more.
func (h *Heartbeater) report() wire.Heartbeat {
	gen, hash := h.Enforced.Current()
	hb := wire.Heartbeat{OS: hostOS(), AgentVersion: h.Version, EnforcedGeneration: gen, EnforcedHash: hash, Interfaces: []wire.Interface{}}
	var err error
	if hb.Hostname, err = os.Hostname(); err != nil {
		h.Log.Warn("hostname", "err", err)
	}
	if ifs, err := Discover(h.Iface); err != nil {
		// null, not []: "could not list them", which the PCE reads as
		// unchanged. An empty list would take every address of this host
		// out of the sets it is in, and out of deny rules with them.
		h.Log.Warn("interfaces", "err", err)
		hb.Interfaces = nil
	} else if ifs != nil {
		hb.Interfaces = ifs
	}
	if hb.Counters, err = h.Enforcer.Counters(); err != nil {
		h.Log.Warn("firewall counters", "err", err)
	}
	return hb
}
