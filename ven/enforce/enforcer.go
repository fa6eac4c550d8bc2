package enforce

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/nftables"
	"github.com/remora-sec/remora/ven/wire"
)

// Enforcer owns one nftables table and keeps, in memory only, a shadow of
// what it last programmed there. Its methods are safe for concurrent use;
// they run one at a time.
type Enforcer struct {
	cfg Config

	mu sync.Mutex
	// The shadow: what the table holds (nil: no table), valid once applied
	// is set. stale is set by a failed batch: the kernel aborts a failed
	// batch, so the table should still be prog, but an unexpected error is
	// no proof of that, so the next Apply rebuilds instead of trusting it.
	applied bool
	stale   bool
	prog    *program
	doc     *wire.Document // the document prog came from; nil after Remove
}

// New returns an Enforcer for cfg. It checks that nftables answers in the
// target namespace, so a VEN without the privilege fails at start rather
// than at its first policy. It does not touch the table.
func New(cfg Config) (*Enforcer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new enforcer: %w", err)
	}
	e := &Enforcer{cfg: cfg}
	c, err := e.reader()
	if err != nil {
		return nil, fmt.Errorf("new enforcer: %w", err)
	}
	if _, err := c.ListTablesOfFamily(nftables.TableFamilyINet); err != nil {
		return nil, fmt.Errorf("new enforcer: list nftables tables: %w", err)
	}
	return e, nil
}

// reader opens a connection for reads (dumps are flow-controlled by the
// kernel, so they need no buffer sizing).
func (e *Enforcer) reader() (*nftables.Conn, error) {
	c, err := nftables.New(nftables.WithNetNSFd(e.cfg.NetNS))
	if err != nil {
		return nil, fmt.Errorf("open nftables: %w", err)
	}
	return c, nil
}

// Action says what Apply did.
type Action string

const (
	// Skipped: the table already holds the document's program (same
	// hash, or a document that compiles to the same program) and the
	// live table matched the shadow; nothing was sent.
	Skipped Action = "skipped"
	// SetsOnly: only set elements changed; they were updated in place.
	SetsOnly Action = "sets_only"
	// Full: the whole table was replaced.
	Full Action = "full"
	// Removed: the document is idle; the table was deleted.
	Removed Action = "removed"
)

// Applied reports what Apply did and how long it took.
type Applied struct {
	Action Action
	// Added and Removed count interval elements (one per merged range of
	// prefixes) changed by a SetsOnly update.
	Added, Removed int
	// Rules is the number of nftables rules a Full apply programmed.
	Rules int
	// Repaired is set when the live table did not match the shadow (it
	// was missing, altered, or a set update failed) and was rebuilt.
	Repaired bool
	// Compile is the time to validate, compile and diff; Program the time
	// the kernel took for the batch (including checks of the live table);
	// Total the whole call.
	Compile, Program, Total time.Duration
}

// Apply makes the table enforce d. The previous table stays in force if it
// returns an error: nothing is sent for a document that fails validation,
// and the kernel applies each batch entirely or not at all.
func (e *Enforcer) Apply(d *wire.Document) (Applied, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	start := time.Now()
	a, err := e.apply(d)
	a.Total = time.Since(start)
	if err != nil {
		return a, fmt.Errorf("apply document: %w", err)
	}
	return a, nil
}

func (e *Enforcer) apply(d *wire.Document) (a Applied, err error) {
	t0 := time.Now()
	if err := validate(d); err != nil {
		return a, err
	}
	trusted := e.applied && !e.stale
	// The hash covers everything but the generation: an equal hash is the
	// same program, which need not be compiled again.
	sameHash := trusted && e.doc != nil && d.Hash != "" && d.Hash == e.doc.Hash
	prog := e.prog
	if !sameHash {
		if prog, err = compile(d, e.cfg.Exempt); err != nil {
			return a, err
		}
	}
	a.Compile = time.Since(t0)
	defer since(&a.Program, time.Now())

	var updateErr error
	switch {
	case sameHash || trusted && samePrograms(e.prog, prog):
		// Nothing to program if the live table is what the shadow says;
		// checking costs a few dumps, not a rebuild.
		ok, err := e.intact()
		if err != nil {
			return a, err
		}
		if ok {
			e.doc = d
			a.Action = Skipped
			return a, nil
		}
		a.Repaired = true
	case trusted && e.prog != nil && prog != nil && sameShape(e.prog, prog):
		ds := diffSets(e.prog, prog)
		if updateErr = e.sendUpdate(ds); updateErr == nil {
			e.prog, e.doc = prog, d
			a.Action = SetsOnly
			for _, sd := range ds {
				a.Added += len(sd.added)
				a.Removed += len(sd.removed)
			}
			return a, nil
		}
		// The kernel refused the update as a whole: the live sets are not
		// what the shadow says (a set deleted, an element removed by
		// hand). Rebuild everything from d.
		a.Repaired = true
	}
	if err := e.sendFull(prog); err != nil {
		if updateErr != nil {
			err = fmt.Errorf("%w (after a set update failed: %v)", err, updateErr)
		}
		return a, err
	}
	e.doc = d
	a.Action, a.Rules = full(prog)
	return a, nil
}

// full is the Action and rule count of a full apply of p.
func full(p *program) (Action, int) {
	if p == nil {
		return Removed, 0
	}
	return Full, len(p.Input.Rules) + len(p.Output.Rules)
}

// since stores the time elapsed from start in *d; deferred.
func since(d *time.Duration, start time.Time) { *d = time.Since(start) }

// sendFull replaces the table with p (removes it when p is nil) and
// records p as the shadow. On failure the shadow is marked stale.
func (e *Enforcer) sendFull(p *program) error {
	b, err := e.newBatch()
	if err != nil {
		return err
	}
	if err := b.replace(p); err != nil {
		return fmt.Errorf("build table %s: %w", e.cfg.Table, err)
	}
	if err := b.flush(); err != nil {
		e.stale = true
		return fmt.Errorf("replace table %s: %w", e.cfg.Table, err)
	}
	e.applied, e.stale, e.prog = true, false, p
	return nil
}

// sendUpdate sends set element changes. The caller updates the shadow.
func (e *Enforcer) sendUpdate(ds []setDelta) error {
	if len(ds) == 0 {
		return nil
	}
	b, err := e.newBatch()
	if err != nil {
		return err
	}
	if err := b.update(ds); err != nil {
		return fmt.Errorf("build set update: %w", err)
	}
	if err := b.flush(); err != nil {
		return fmt.Errorf("update sets of table %s: %w", e.cfg.Table, err)
	}
	return nil
}

// samePrograms reports whether a and b program the same table.
func samePrograms(a, b *program) bool {
	if a == nil || b == nil {
		return a == b
	}
	return sameShape(a, b) && slices.EqualFunc(a.Sets, b.Sets, func(x, y setSpec) bool {
		return slices.Equal(x.Ranges, y.Ranges)
	})
}

// sameShape reports whether a and b differ at most in set elements: same
// chains, rules and policies, same set names and families. Then a set
// update turns a into b.
func sameShape(a, b *program) bool {
	return chainsEqual(a.Input, b.Input) && chainsEqual(a.Output, b.Output) &&
		slices.EqualFunc(a.Sets, b.Sets, func(x, y setSpec) bool { return x.Name == y.Name && x.V4 == y.V4 })
}

func chainsEqual(a, b chain) bool { return a.Policy == b.Policy && slices.Equal(a.Rules, b.Rules) }

// diffSets lists the element changes that turn a's sets into b's; a and b
// have the same shape.
func diffSets(a, b *program) []setDelta {
	var out []setDelta
	for i := range a.Sets {
		removed, added := diffRanges(a.Sets[i].Ranges, b.Sets[i].Ranges)
		if len(removed)+len(added) > 0 {
			out = append(out, setDelta{name: a.Sets[i].Name, v4: a.Sets[i].V4, removed: removed, added: added})
		}
	}
	return out
}
