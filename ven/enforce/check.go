package enforce

import (
	"fmt"
	"slices"

	"github.com/google/nftables"
)

// Check compares the live table with the shadow of what was last
// programmed and, if they differ, programs the shadow again in full (the
// last document, or what Remove left). It reports tampered when it had to.
// Before anything was programmed there is nothing to compare: it returns
// false.
//
// The comparison stays cheap for large sets, so it can run every few
// seconds: the table's presence, its chains and their policies, the number
// of rules in each chain, and the set names. It does not compare set
// elements, not even their count (the kernel reports a set's declared size,
// not its element count, and dumping 10,000 elements to count them is what
// the shadow exists to avoid), nor the content of rules: a rule edited in
// place, or an element added or deleted by hand, goes unnoticed until the
// next full apply. It defends against the table being deleted or flushed
// (by nft flush ruleset, a firewall reload), not against a root user
// editing it on purpose.
func (e *Enforcer) Check() (tampered bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.applied {
		return false, nil
	}
	ok, err := e.intact()
	if err != nil {
		return false, fmt.Errorf("check table %s: %w", e.cfg.Table, err)
	}
	if ok && !e.stale {
		return false, nil
	}
	if err := e.sendFull(e.prog); err != nil {
		return !ok, fmt.Errorf("check table %s: restore: %w", e.cfg.Table, err)
	}
	return !ok, nil
}

// intact reports whether the live table looks like the shadow, as far as
// Check's cheap comparison can tell.
func (e *Enforcer) intact() (bool, error) {
	c, err := e.reader()
	if err != nil {
		return false, err
	}
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return false, fmt.Errorf("list tables: %w", err)
	}
	present := slices.ContainsFunc(tables, func(t *nftables.Table) bool { return t.Name == e.cfg.Table })
	if e.prog == nil || !present {
		return e.prog == nil && !present, nil
	}
	t := &nftables.Table{Family: nftables.TableFamilyINet, Name: e.cfg.Table}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return false, fmt.Errorf("list chains: %w", err)
	}
	chains = slices.DeleteFunc(chains, func(ch *nftables.Chain) bool { return ch.Table == nil || ch.Table.Name != e.cfg.Table })
	if len(chains) != 2 {
		return false, nil
	}
	for _, want := range []struct {
		name string
		c    chain
	}{{chainInput, e.prog.Input}, {chainOutput, e.prog.Output}} {
		i := slices.IndexFunc(chains, func(ch *nftables.Chain) bool { return ch.Name == want.name })
		if i < 0 || chains[i].Policy == nil || (*chains[i].Policy == nftables.ChainPolicyDrop) != (want.c.Policy == drop) {
			return false, nil
		}
		rules, err := c.GetRules(t, chains[i])
		if err != nil {
			return false, fmt.Errorf("list rules of chain %s: %w", want.name, err)
		}
		if len(rules) != len(want.c.Rules) {
			return false, nil
		}
	}
	sets, err := c.GetSets(t)
	if err != nil {
		return false, fmt.Errorf("list sets: %w", err)
	}
	if len(sets) != len(e.prog.Sets) {
		return false, nil
	}
	for _, s := range sets {
		if !slices.ContainsFunc(e.prog.Sets, func(w setSpec) bool { return w.Name == s.Name }) {
			return false, nil
		}
	}
	return true, nil
}
