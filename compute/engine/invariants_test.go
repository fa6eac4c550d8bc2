package engine

import "fmt"

// checkInvariants checks the engine's cross-references: every selector is
// used by a binding, and the index and the nodes' lists hold only live
// selectors, consistently with their members.
func (e *Engine) checkInvariants() error {
	for id, s := range e.selectors {
		if len(s.asProvider) == 0 && len(s.asConsumer) == 0 {
			return fmt.Errorf("selector %s has no bindings", id)
		}
	}
	for rid, bs := range e.bindings {
		for _, b := range bs {
			if e.selectors[b.peerIn.id] != b.peerIn || e.selectors[b.peerOut.id] != b.peerOut {
				return fmt.Errorf("ruleset %s binding refers to a dropped selector", rid)
			}
		}
	}
	for l, ss := range e.index.byLabel {
		for _, s := range ss {
			if e.selectors[s.id] != s {
				return fmt.Errorf("index byLabel[%s] holds dropped selector %s", l, s.id)
			}
		}
	}
	for _, s := range e.index.everyone {
		if e.selectors[s.id] != s {
			return fmt.Errorf("index everyone holds dropped selector %s", s.id)
		}
	}
	for w, ss := range e.index.byWorkload {
		for _, s := range ss {
			if e.selectors[s.id] != s {
				return fmt.Errorf("index byWorkload[%s] holds dropped selector %s", w, s.id)
			}
		}
	}
	for id, n := range e.nodes {
		for _, s := range n.matched {
			if e.selectors[s.id] != s || !s.matched[id] {
				return fmt.Errorf("node %s matched list holds %s inconsistently", id, s.id)
			}
		}
	}
	return nil
}
