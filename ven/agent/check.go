package agent

import (
	"context"
	"log/slog"
	"time"
)

// DefaultCheckInterval is how often the firewall is compared with what the
// agent programmed.
const DefaultCheckInterval = 10 * time.Second

// Checker puts the firewall back when someone else changed it (a flushed
// ruleset, a deleted table) and counts it for the next heartbeat, which it
// asks for at once so the PCE hears of it within seconds.
type Checker struct {
	Enforcer Enforcer
	Enforced *Enforced
	Interval time.Duration
	Clock    Clock
	Log      *slog.Logger
}

// Run checks every Interval until ctx ends.
func (c *Checker) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Clock.After(c.Interval):
		}
		c.check()
	}
}

func (c *Checker) check() {
	tampered, err := c.Enforcer.Check()
	if tampered {
		c.Enforced.Tampered()
		if err == nil {
			c.Log.Warn("the firewall was changed by someone else; restored it")
		}
	}
	if err != nil {
		c.Log.Error("firewall check failed", "tampered", tampered, "err", err)
	}
}
