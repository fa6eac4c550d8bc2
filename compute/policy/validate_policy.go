package policy

import (
	"fmt"
	"strings"
)

// Validate checks a whole document — an import, or a version about to be
// frozen: every object on its own (with paths such as
// "rulesets[3].rules[2].consumers[0].label"), ids canonical and unique
// within their kind, label key=value pairs unique, and names unique within
// their kind regardless of case, since "Web" and "web" side by side in a
// console list are a mistake waiting to happen. References resolve within
// p; hasWorkload answers for workloads (nil: every workload exists).
func (p *Policy) Validate(hasWorkload func(WorkloadID) bool) ([]Warning, error) {
	r := new(report)
	c := p.Catalog(hasWorkload)
	p.checkLabels(r)

	groups := newKindCheck("label_groups")
	for i := range p.LabelGroups {
		g := &p.LabelGroups[i]
		path := groups.check(r, i, string(g.ID), g.Name)
		r.nest(path, validateLabelGroup(g, c))
	}
	services := newKindCheck("services")
	for i := range p.Services {
		s := &p.Services[i]
		r.nest(services.check(r, i, string(s.ID), s.Name), validateService(s))
	}
	lists := newKindCheck("ip_lists")
	for i := range p.IPLists {
		l := &p.IPLists[i]
		r.nest(lists.check(r, i, string(l.ID), l.Name), validateIPList(l))
	}
	rulesets := newKindCheck("rulesets")
	for i := range p.Rulesets {
		rs := &p.Rulesets[i]
		r.nest(rulesets.check(r, i, string(rs.ID), rs.Name), validateRuleset(rs, c))
	}
	return r.result()
}

// checkLabels checks the document's labels: ids, keys, values, unique
// key=value pairs, and at most MaxDimensions keys in all.
func (p *Policy) checkLabels(r *report) {
	ids := firstSeen[LabelID]{}
	pairs := firstSeen[[2]string]{}
	keys := make(map[string]bool)
	for i, l := range p.Labels {
		path := at("labels", i)
		if checkUUID(r, path+".id", string(l.ID)) {
			if j, dup := ids.dup(l.ID, i); dup {
				r.failf(path+".id", "duplicate id %q: also labels[%d]", l.ID, j)
			}
		}
		checkDimension(r, path+".key", l.Key)
		if l.Key != "" && !keys[l.Key] {
			if len(keys) == MaxDimensions {
				r.failf(path+".key", "key %q is one too many: a tenant has at most %d keys", l.Key, MaxDimensions)
			} else {
				keys[l.Key] = true
			}
		}
		checkLabelValue(r, path+".value", l.Value)
		if j, dup := pairs.dup([2]string{l.Key, l.Value}, i); dup {
			r.failf(path+".value", "label %s=%s is listed twice: also labels[%d]", l.Key, l.Value, j)
		}
	}
}

// kindCheck checks the ids and names of one kind of versioned object.
type kindCheck struct {
	path  string
	ids   firstSeen[string]
	names firstSeen[string]
}

func newKindCheck(path string) *kindCheck {
	return &kindCheck{path, firstSeen[string]{}, firstSeen[string]{}}
}

// check checks the id and name of object i and returns its path.
func (k *kindCheck) check(r *report, i int, id, name string) string {
	path := at(k.path, i)
	if checkUUID(r, path+".id", id) {
		if j, dup := k.ids.dup(id, i); dup {
			r.failf(path+".id", "duplicate id %q: also %s[%d]", id, k.path, j)
		}
	}
	if name != "" {
		if j, dup := k.names.dup(strings.ToLower(name), i); dup {
			r.fail(path+".name", fmt.Sprintf("name %q is already used by %s[%d] (names are case-insensitive)", name, k.path, j))
		}
	}
	return path
}
