package agent

import (
	"log/slog"

	"github.com/remora-sec/remora/ven/enforce"
	"github.com/remora-sec/remora/ven/wire"
)

// Enforcer is what the agent needs of the firewall. *enforce.Enforcer
// provides it through NewEnforcer; the agent never looks further in.
type Enforcer interface {
	// Apply makes the firewall enforce d; on error the previous document
	// stays in force.
	Apply(d *wire.Document) error
	// Check restores the firewall if it was changed behind the agent's
	// back, and says so.
	Check() (tampered bool, err error)
	// Counters are what the heartbeat reports.
	Counters() (wire.Counters, error)
	// Remove ends enforcement: "open" removes the table, "closed" leaves
	// one that drops all but the exempt traffic.
	Remove(restore string) error
}

// NewEnforcer adapts e, logging what each Apply did and how long it took.
func NewEnforcer(e *enforce.Enforcer, log *slog.Logger) Enforcer {
	return enforcerAdapter{e: e, log: log}
}

type enforcerAdapter struct {
	e   *enforce.Enforcer
	log *slog.Logger
}

func (a enforcerAdapter) Apply(d *wire.Document) error {
	r, err := a.e.Apply(d)
	if err != nil {
		return err
	}
	a.log.Info("policy applied", "generation", d.Generation, "hash", d.Hash, "mode", d.Mode,
		"action", r.Action, "rules", r.Rules, "added", r.Added, "removed", r.Removed,
		"repaired", r.Repaired, "took", r.Total.String())
	return nil
}

func (a enforcerAdapter) Check() (bool, error) { return a.e.Check() }

func (a enforcerAdapter) Counters() (wire.Counters, error) {
	c, err := a.e.Counters()
	return wire.Counters{Rules: len(c.Rules), Drops: c.Dropped, WouldDrop: c.WouldDrop}, err
}

func (a enforcerAdapter) Remove(restore string) error { return a.e.Remove(restore) }
