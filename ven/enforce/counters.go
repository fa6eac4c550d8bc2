package enforce

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/remora-sec/remora/ven/wire"
)

// Counters are the packet counts of the live table, since it was last
// built in full: a full apply, Check's repair or Remove starts from zero;
// a set update keeps them. The agent turns them into metrics (which
// tolerate resets) and flow reports.
type Counters struct {
	// Dropped counts packets dropped: by a deny or override_deny rule in
	// selective or full mode, by the full-mode default, or by the closed
	// table Remove leaves.
	Dropped uint64
	// WouldDrop counts packets accepted that full enforcement would have
	// dropped: deny classes in visibility_only, the default in
	// visibility_only and selective. The PCE shows them as potentially
	// blocked.
	WouldDrop uint64
	// Rules has one entry per rule of the applied document, in document
	// order (a rule of a direction that is not enforced, or whose set is
	// empty, stays at zero).
	Rules []RuleHits
	// DefaultIn and DefaultOut count what reached each chain's default.
	DefaultIn, DefaultOut Hits
}

// Hits counts the packets (and their bytes) a rule matched.
type Hits struct {
	Packets, Bytes uint64
}

// RuleHits is the count of one document rule, summed over its families.
type RuleHits struct {
	Rule wire.Rule
	Hits
}

// Counters reads the counters of the live table. It reads every rule
// (about a thousand is a few milliseconds) but no set. With no table (idle,
// or after Remove("open")) all counts are zero.
func (e *Enforcer) Counters() (Counters, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out Counters
	if e.doc != nil {
		out.Rules = make([]RuleHits, len(e.doc.Rules))
		for i, r := range e.doc.Rules {
			out.Rules[i].Rule = r
		}
	}
	if !e.applied || e.prog == nil {
		return out, nil
	}
	c, err := e.reader()
	if err != nil {
		return out, fmt.Errorf("read counters: %w", err)
	}
	t := &nftables.Table{Family: nftables.TableFamilyINet, Name: e.cfg.Table}
	objs, err := c.GetNamedObjects(t)
	if err != nil {
		return out, fmt.Errorf("read counters: named counters of table %s: %w", e.cfg.Table, err)
	}
	for _, o := range objs {
		no, ok := o.(*nftables.NamedObj)
		if !ok {
			continue
		}
		n, ok := no.Obj.(*expr.Counter)
		if !ok {
			continue
		}
		switch no.Name {
		case counterDropped:
			out.Dropped = n.Packets
		case counterWould:
			out.WouldDrop = n.Packets
		}
	}
	for _, name := range []string{chainInput, chainOutput} {
		rules, err := c.GetRules(t, &nftables.Chain{Name: name, Table: t})
		if err != nil {
			return out, fmt.Errorf("read counters: rules of chain %s: %w", name, err)
		}
		for _, r := range rules {
			h := ruleHits(r)
			comment, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			switch i, ok := origin(comment); {
			case ok && i < len(out.Rules):
				out.Rules[i].Packets += h.Packets
				out.Rules[i].Bytes += h.Bytes
			case strings.HasPrefix(comment, "default in"):
				out.DefaultIn = h
			case strings.HasPrefix(comment, "default out"):
				out.DefaultOut = h
			}
		}
	}
	return out, nil
}

// origin parses the document rule index from a rule comment "#<i> ...".
func origin(comment string) (int, bool) {
	s, ok := strings.CutPrefix(comment, "#")
	if !ok {
		return 0, false
	}
	s, _, _ = strings.Cut(s, " ")
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0
}

func ruleHits(r *nftables.Rule) Hits {
	for _, x := range r.Exprs {
		if c, ok := x.(*expr.Counter); ok {
			return Hits{Packets: c.Packets, Bytes: c.Bytes}
		}
	}
	return Hits{}
}
