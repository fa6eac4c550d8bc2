package policy

// ExpandGroup returns every label of group id, following nested groups. It
// visits each group once, so a cycle (which validation refuses, but
// unvalidated input may hold) ends the walk instead of looping; a missing
// group, nested or not, adds nothing.
func ExpandGroup(c Catalog, id LabelGroupID) map[LabelID]bool {
	out := make(map[LabelID]bool)
	seen := map[LabelGroupID]bool{id: true}
	for todo := []LabelGroupID{id}; len(todo) > 0; {
		g, ok := c.LabelGroup(todo[len(todo)-1])
		todo = todo[:len(todo)-1]
		if !ok {
			continue
		}
		for _, l := range g.Labels {
			out[l] = true
		}
		for _, sub := range g.Groups {
			if !seen[sub] {
				seen[sub] = true
				todo = append(todo, sub)
			}
		}
	}
	return out
}

// labelSet is a resolved label set — a scope, or the label and label group
// actors of one side of a rule: for each key, the labels a workload may
// carry for it. A workload matches when, for every key, it carries one of
// that key's labels (OR within a key, AND across keys). No key at all
// matches every workload: that is the universal scope.
type labelSet struct {
	keys map[string]map[LabelID]bool
	// broken is set when a term names a missing label or group, or is
	// malformed. Such a term matches nothing, so the whole set matches
	// nothing: a dangling reference must never widen a rule.
	broken bool
}

// resolveLabelSet resolves terms against c, expanding groups. A group
// counts as its own key, whatever its labels are; a label of another key
// inside it (which validation refuses) can then never be the workload's
// label of that key.
func resolveLabelSet(c Catalog, terms []LabelRef) labelSet {
	s := labelSet{keys: make(map[string]map[LabelID]bool)}
	for _, t := range terms {
		key, labels, ok := resolveTerm(c, t)
		if !ok {
			s.broken = true
			continue
		}
		set := s.keys[key]
		if set == nil {
			set = make(map[LabelID]bool)
			s.keys[key] = set
		}
		for l := range labels {
			set[l] = true
		}
	}
	return s
}

// resolveTerm returns the key a term constrains and the labels it allows.
func resolveTerm(c Catalog, t LabelRef) (key string, labels map[LabelID]bool, ok bool) {
	switch {
	case t.Label != "" && t.LabelGroup == "":
		l, ok := c.Label(t.Label)
		return l.Key, map[LabelID]bool{l.ID: true}, ok
	case t.LabelGroup != "" && t.Label == "":
		g, ok := c.LabelGroup(t.LabelGroup)
		if !ok {
			return "", nil, false
		}
		return g.Key, ExpandGroup(c, t.LabelGroup), true
	}
	return "", nil, false
}

// matches reports whether w carries, for every key of s, one of its labels.
func (s labelSet) matches(c Catalog, w *Workload) bool {
	if s.broken {
		return false
	}
	for key, allowed := range s.keys {
		if !carries(c, w, key, allowed) {
			return false
		}
	}
	return true
}

// carries reports whether w has a label of key key among allowed.
func carries(c Catalog, w *Workload, key string, allowed map[LabelID]bool) bool {
	for _, id := range w.Labels {
		if !allowed[id] {
			continue
		}
		if l, ok := c.Label(id); ok && l.Key == key {
			return true
		}
	}
	return false
}
