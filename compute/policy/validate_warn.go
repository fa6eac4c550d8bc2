package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// warnRuleset adds the warnings of a valid ruleset: findings that do not
// stop the write but point at a rule that likely does not do what its
// author meant.
//   - A label group that expands to no label matches no workload.
//   - A provider (or, for an intra-scope rule, consumer) label that every
//     scope already requires adds nothing: the author may have meant a
//     different label, or "all workloads".
//   - A side whose labels contradict every scope (role=db in a ruleset
//     scoped to role=web) can never match, so the rule is dead.
func warnRuleset(r *report, rs *Ruleset, c Catalog) {
	scopes := make([]labelSet, len(rs.Scopes))
	for i, s := range rs.Scopes {
		scopes[i] = resolveLabelSet(c, s)
		for j, t := range s {
			warnEmptyGroup(r, at(at("scopes", i), j)+".label_group", t.LabelGroup, c)
		}
	}
	for i := range rs.Rules {
		rule := &rs.Rules[i]
		path := at("rules", i)
		warnSide(r, path+".providers", rule.Providers, rs.Scopes, scopes, c)
		consumerScopes := rs.Scopes
		if rule.UnscopedConsumers {
			consumerScopes = nil // the scope does not apply to them
		}
		warnSide(r, path+".consumers", rule.Consumers, consumerScopes, scopes, c)
	}
}

// warnSide warns about one side of a rule, under scopes (none when the
// scope does not constrain this side); resolved holds the scopes resolved.
func warnSide(r *report, path string, actors []Actor, scopes []Scope, resolved []labelSet, c Catalog) {
	var terms []LabelRef
	var actorIdx []int // index in actors of each term
	for j, a := range actors {
		warnEmptyGroup(r, at(path, j)+".label_group", a.LabelGroup, c)
		if a.Label != "" || a.LabelGroup != "" {
			terms = append(terms, LabelRef{Label: a.Label, LabelGroup: a.LabelGroup})
			actorIdx = append(actorIdx, j)
		}
	}
	if len(scopes) == 0 || len(terms) == 0 {
		return
	}
	side := resolveLabelSet(c, terms)
	for k, t := range terms {
		if repeatsScope(c, t, side, scopes, resolved) {
			r.warn(at(path, actorIdx[k]), "repeats the ruleset's scope label; scope already applies")
		}
	}
	if len(terms) < len(actors) {
		return // another actor (all workloads, a workload) may still match
	}
	if key, never := neverInScope(side, resolved); never {
		r.warn(path, "can never match: no workload is both in the scope and in "+describeTerms(c, terms, key))
	}
}

// repeatsScope reports whether term t appears in every scope, and every
// scope already narrows t's key at least as much as the side does — so
// that the side's terms of that key change nothing.
func repeatsScope(c Catalog, t LabelRef, side labelSet, scopes []Scope, resolved []labelSet) bool {
	key, _, _ := resolveTerm(c, t)
	for i, s := range scopes {
		if !slices.Contains(s, t) || !subset(resolved[i].keys[key], side.keys[key]) {
			return false
		}
	}
	return true
}

// neverInScope reports whether, in every scope, some key the side requires
// allows only labels the scope excludes; it returns that key for the first
// scope, to name in the warning. A side with an empty key is left to the
// empty-group warning.
func neverInScope(side labelSet, scopes []labelSet) (string, bool) {
	keys := slices.Sorted(maps.Keys(side.keys))
	for _, k := range keys {
		if len(side.keys[k]) == 0 {
			return "", false
		}
	}
	first := ""
	for i, sc := range scopes {
		conflict := ""
		for _, k := range keys {
			if w, ok := sc.keys[k]; ok && disjoint(side.keys[k], w) {
				conflict = k
				break
			}
		}
		if conflict == "" {
			return "", false
		}
		if i == 0 {
			first = conflict
		}
	}
	return first, true
}

// warnEmptyGroup warns at path when id names a group that expands to no
// label.
func warnEmptyGroup(r *report, path string, id LabelGroupID, c Catalog) {
	if id == "" {
		return
	}
	if g, ok := c.LabelGroup(id); ok && len(ExpandGroup(c, id)) == 0 {
		r.warn(path, fmt.Sprintf("label group %q is empty: matches no workload", g.Name))
	}
}

// describeTerms writes the side's terms of key for a message: labels as
// key=value, groups by name.
func describeTerms(c Catalog, terms []LabelRef, key string) string {
	var parts []string
	for _, t := range terms {
		if k, _, _ := resolveTerm(c, t); k != key {
			continue
		}
		if l, ok := c.Label(t.Label); ok {
			parts = append(parts, l.Key+"="+l.Value)
		} else if g, ok := c.LabelGroup(t.LabelGroup); ok {
			parts = append(parts, fmt.Sprintf("label group %q", g.Name))
		}
	}
	return strings.Join(parts, " or ")
}

func subset[K comparable](a, b map[K]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func disjoint[K comparable](a, b map[K]bool) bool {
	for k := range a {
		if b[k] {
			return false
		}
	}
	return true
}
