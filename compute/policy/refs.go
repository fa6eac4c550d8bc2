package policy

// Ref names one object another object points to. The store uses Refs to
// keep referential integrity (refuse deleting a label a ruleset uses) and
// the compiler to know which rulesets an edit touches.
type Ref struct {
	Kind string // one of the Ref* constants
	ID   string
}

// The kinds of object a Ref can name.
const (
	RefLabel      = "label"
	RefLabelGroup = "label_group"
	RefService    = "service"
	RefIPList     = "ip_list"
	RefWorkload   = "workload"
)

// refList collects refs, deduplicated, in first-seen order, so that Refs
// answers the same for the same object.
type refList struct {
	seen map[Ref]bool
	refs []Ref
}

func (l *refList) add(kind, id string) {
	if id == "" {
		return
	}
	r := Ref{kind, id}
	if l.seen == nil {
		l.seen = make(map[Ref]bool)
	}
	if !l.seen[r] {
		l.seen[r] = true
		l.refs = append(l.refs, r)
	}
}

func (l *refList) addLabelRef(t LabelRef) {
	l.add(RefLabel, string(t.Label))
	l.add(RefLabelGroup, string(t.LabelGroup))
}

func (l *refList) addActor(a Actor) {
	l.add(RefLabel, string(a.Label))
	l.add(RefLabelGroup, string(a.LabelGroup))
	l.add(RefIPList, string(a.IPList))
	l.add(RefWorkload, string(a.Workload))
}

// Refs returns the labels and label groups g contains directly (not those
// of its nested groups: each group answers for itself).
func (g *LabelGroup) Refs() []Ref {
	var l refList
	for _, id := range g.Labels {
		l.add(RefLabel, string(id))
	}
	for _, id := range g.Groups {
		l.add(RefLabelGroup, string(id))
	}
	return l.refs
}

// Refs returns every object rs points to: its scopes' labels and groups,
// then each rule's providers, consumers and named services. Inline ports
// point to nothing.
func (rs *Ruleset) Refs() []Ref {
	var l refList
	for _, s := range rs.Scopes {
		for _, t := range s {
			l.addLabelRef(t)
		}
	}
	for _, r := range rs.Rules {
		for _, a := range r.Providers {
			l.addActor(a)
		}
		for _, a := range r.Consumers {
			l.addActor(a)
		}
		for _, s := range r.Services {
			l.add(RefService, string(s.Service))
		}
	}
	return l.refs
}
