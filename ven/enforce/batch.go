package enforce

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// elementsPerMessage bounds the elements of one netlink message: a message
// attribute's length is 16 bits, and 1024 IPv6 interval elements take about
// 37 KB of it. A large set is several messages of the same batch.
const elementsPerMessage = 1024

// batch queues one atomic transaction on a fresh connection and counts what
// it queued, to size the socket buffers before sending (see sockbuf.go).
// A fresh nftables.Conn per batch also matters because a Conn keeps its
// first marshalling error forever.
type batch struct {
	c        *nftables.Conn
	t        *nftables.Table
	msgs     int
	elements int
}

func (e *Enforcer) newBatch() (*batch, error) {
	b := &batch{t: &nftables.Table{Family: nftables.TableFamilyINet, Name: e.cfg.Table}}
	c, err := nftables.New(nftables.WithNetNSFd(e.cfg.NetNS), nftables.WithSockOptions(b.sizeSocket))
	if err != nil {
		return nil, fmt.Errorf("open nftables: %w", err)
	}
	b.c = c
	return b, nil
}

// flush sends the batch; the kernel applies all of it or none of it.
func (b *batch) flush() error {
	if err := b.c.Flush(); err != nil {
		return fmt.Errorf("send batch of %d messages: %w", b.msgs, err)
	}
	return nil
}

// replace queues the replacement of the whole table by p, or its removal
// when p is nil. The table is added before it is deleted so the delete
// never fails on a host without the table, and deleted before p is added
// so nothing of the old table survives; all in one transaction, so traffic
// sees the old table until the new one is complete.
func (b *batch) replace(p *program) error {
	b.c.AddTable(b.t)
	b.c.DelTable(b.t)
	b.msgs += 2
	if p == nil {
		return nil
	}
	b.c.AddTable(b.t)
	for _, name := range []string{counterDropped, counterWould} {
		b.c.AddObj(&nftables.NamedObj{Table: b.t, Name: name, Type: nftables.ObjTypeCounter, Obj: &expr.Counter{}})
	}
	b.msgs += 3
	sets := make(map[string]*nftables.Set, len(p.Sets))
	for i, s := range p.Sets {
		ns := &nftables.Set{Table: b.t, Name: s.Name, ID: uint32(i + 1), Interval: true, KeyType: nftables.TypeIP6Addr}
		if s.V4 {
			ns.KeyType = nftables.TypeIPAddr
		}
		if err := b.c.AddSet(ns, nil); err != nil {
			return fmt.Errorf("set %s: %w", s.Name, err)
		}
		b.msgs++
		if err := b.addElements(ns, s.Ranges); err != nil {
			return err
		}
		sets[s.Name] = ns
	}
	for _, ch := range []struct {
		name string
		hook *nftables.ChainHook
		c    chain
	}{{chainInput, nftables.ChainHookInput, p.Input}, {chainOutput, nftables.ChainHookOutput, p.Output}} {
		pol := nftables.ChainPolicyAccept
		if ch.c.Policy == drop {
			pol = nftables.ChainPolicyDrop
		}
		nc := b.c.AddChain(&nftables.Chain{Name: ch.name, Table: b.t, Type: nftables.ChainTypeFilter,
			Hooknum: ch.hook, Priority: nftables.ChainPriorityFilter, Policy: &pol})
		for _, r := range ch.c.Rules {
			b.c.AddRule(nftRule(b.t, nc, r, ch.name == chainInput, sets))
		}
		b.msgs += 1 + len(ch.c.Rules)
	}
	return nil
}

// setDelta is the element change of one set between two programs.
type setDelta struct {
	name           string
	v4             bool
	removed, added []addrRange
}

// update queues set element changes: every removal before any addition,
// so a range that changed is gone before its replacement arrives and the
// kernel never sees two overlapping intervals.
func (b *batch) update(ds []setDelta) error {
	for _, d := range ds {
		if err := b.delElements(&nftables.Set{Table: b.t, Name: d.name, Interval: true}, d.removed); err != nil {
			return err
		}
	}
	for _, d := range ds {
		if err := b.addElements(&nftables.Set{Table: b.t, Name: d.name, Interval: true}, d.added); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) addElements(s *nftables.Set, rs []addrRange) error {
	return b.chunked(rs, func(els []nftables.SetElement) error { return b.c.SetAddElements(s, els) }, s.Name)
}

func (b *batch) delElements(s *nftables.Set, rs []addrRange) error {
	return b.chunked(rs, func(els []nftables.SetElement) error { return b.c.SetDeleteElements(s, els) }, s.Name)
}

func (b *batch) chunked(rs []addrRange, queue func([]nftables.SetElement) error, set string) error {
	els := elements(rs)
	for len(els) > 0 {
		n := min(len(els), elementsPerMessage)
		if n < len(els) && els[n].IntervalEnd {
			n-- // keep an interval's start and end in one message
		}
		if err := queue(els[:n]); err != nil {
			return fmt.Errorf("set %s elements: %w", set, err)
		}
		b.msgs++
		b.elements += n
		els = els[n:]
	}
	return nil
}
