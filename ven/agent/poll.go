package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// DefaultNotFoundWait is how long the poller waits after a 404 (no
// document compiled for this VEN yet) before asking again.
const DefaultNotFoundWait = 5 * time.Second

// Poller keeps the firewall on the newest document the PCE has for this
// VEN. It long-polls with the generation it enforces; a document it gets is
// verified (ours, intact), applied, and only then saved as the one to
// re-apply at boot and recorded as enforced. Whatever fails (the PCE, the
// verification, the apply, the save) leaves the firewall on the document
// in force and is retried after a backoff: the same generation is asked
// for again, so a failed document comes back and is tried again.
type Poller struct {
	Client   *http.Client
	Base     string // the VEN API's base URL
	Workload string // documents must be for this workload
	Dir      string // where the applied document is saved
	Enforcer Enforcer
	Enforced *Enforced
	Clock    Clock
	Backoff  Backoff
	// NotFoundWait is the wait after a 404; zero means DefaultNotFoundWait.
	NotFoundWait time.Duration
	// Unreachable, if set, is called when a poll got no answer at all
	// (the agent resets the tunnel's session then).
	Unreachable func()
	Log         *slog.Logger
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	for {
		wait, err := p.step(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.Log.Warn("policy poll failed; the firewall keeps the policy in force", "err", err, "retry_in", wait.String())
		}
		if wait == 0 {
			continue
		}
		// After an unreachable PCE, a heartbeat that gets through with
		// news of a newer generation cuts the backoff short. Other
		// failures (a refused document) wait their backoff out.
		var behind <-chan struct{}
		if errors.Is(err, errUnreachable) {
			select {
			case <-p.Enforced.behindPCE(): // news from before the failure
			default:
			}
			behind = p.Enforced.behindPCE()
		}
		select {
		case <-ctx.Done():
			return
		case <-p.Clock.After(wait):
		case <-behind:
			p.Log.Info("the PCE is back with a newer policy; polling now")
		}
	}
}

// step polls once and returns how long to wait before polling again.
func (p *Poller) step(ctx context.Context) (time.Duration, error) {
	have, _ := p.Enforced.Current()
	ans, err := api{p.Client, p.Base}.policy(ctx, have)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if errors.Is(err, errUnreachable) && p.Unreachable != nil {
			p.Unreachable()
		}
		return p.Backoff.Next(), err
	}
	switch ans.Status {
	case http.StatusNotModified:
		p.Backoff.Reset()
		return 0, nil
	case http.StatusNotFound:
		p.Backoff.Reset()
		if p.NotFoundWait > 0 {
			return p.NotFoundWait, nil
		}
		return DefaultNotFoundWait, nil
	}
	d, err := verifyDocument(ans.Raw, p.Workload)
	if err != nil {
		return p.Backoff.Next(), fmt.Errorf("refused a document: %w", err)
	}
	if err := p.Enforcer.Apply(d); err != nil {
		return p.Backoff.Next(), fmt.Errorf("generation %d: %w", d.Generation, err)
	}
	// Saved only once applied: the file is what the firewall enforces,
	// so boot never re-applies a document that was never in force.
	if err := SavePolicy(p.Dir, ans.Raw); err != nil {
		return p.Backoff.Next(), fmt.Errorf("generation %d applied but not saved (it will be asked for again): %w", d.Generation, err)
	}
	if d.Generation < have {
		p.Log.Warn("the PCE sent an older generation than the one enforced; it is the PCE's policy now",
			"generation", d.Generation, "had", have)
	}
	p.Enforced.Applied(d)
	p.Backoff.Reset()
	return 0, nil
}
