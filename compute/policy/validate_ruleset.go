package policy

import "github.com/remora-sec/remora/infra/ids"

// ValidateRuleset checks rs against c: its name, scopes, and rules (ids,
// actions, actors, services), every reference resolved through c. A valid
// ruleset still gets warnings for rules that repeat their scope, that can
// never match, or that use an empty label group.
func ValidateRuleset(rs *Ruleset, c Catalog) ([]Warning, error) {
	return validateRuleset(rs, c).result()
}

func validateRuleset(rs *Ruleset, c Catalog) *report {
	r := new(report)
	checkName(r, "name", rs.Name, maxNameLen)
	checkDescription(r, "description", rs.Description)
	checkCount(r, "scopes", len(rs.Scopes), 0, maxScopes)
	for i, s := range rs.Scopes {
		path := at("scopes", i)
		if len(s) == 0 {
			r.fail(path, "must have at least one label or label group: leave out scopes to apply everywhere")
		}
		for j, t := range s {
			checkLabelRef(r, at(path, j), t, c)
		}
	}
	checkCount(r, "rules", len(rs.Rules), 0, maxRules)
	seen := firstSeen[RuleID]{}
	for i := range rs.Rules {
		rule := &rs.Rules[i]
		path := at("rules", i)
		if checkUUID(r, path+".id", string(rule.ID)) {
			if j, dup := seen.dup(rule.ID, i); dup {
				r.failf(path+".id", "duplicate rule id %q: also rules[%d]", rule.ID, j)
			}
		}
		checkRule(r, path, rule, c, len(rs.Scopes) > 0)
	}
	if len(r.errs) == 0 {
		warnRuleset(r, rs, c)
	}
	return r
}

// checkRule checks one rule; scoped says whether its ruleset has scopes.
func checkRule(r *report, path string, rule *Rule, c Catalog, scoped bool) {
	checkDescription(r, path+".description", rule.Description)
	if _, ok := actionReason[rule.Action]; !ok {
		r.failf(path+".action", "must be one of allow, deny, override_deny, got %q", rule.Action)
	}
	checkCount(r, path+".providers", len(rule.Providers), 1, maxActors)
	for j, a := range rule.Providers {
		p := at(path+".providers", j)
		if checkActor(r, p, a, c) && a.IPList != "" {
			r.fail(p+".ip_list", "ip lists can only be consumers")
		}
	}
	checkCount(r, path+".consumers", len(rule.Consumers), 1, maxActors)
	for j, a := range rule.Consumers {
		p := at(path+".consumers", j)
		if checkActor(r, p, a, c) && a.IPList != "" && scoped && !rule.UnscopedConsumers {
			// An address outside every workload has no labels, so it
			// cannot be "in the scope": only rules that do not scope
			// their consumers can name one.
			r.fail(p+".ip_list", "ip lists can be consumers only of extra-scope rules (unscoped_consumers) or of rulesets without scopes")
		}
	}
	checkCount(r, path+".services", len(rule.Services), 1, maxServiceRefs)
	for j, s := range rule.Services {
		checkServiceRef(r, at(path+".services", j), s, c)
	}
}

// checkLabelRef checks one scope term.
func checkLabelRef(r *report, path string, t LabelRef, c Catalog) {
	switch {
	case (t.Label == "") == (t.LabelGroup == ""):
		r.fail(path, "set exactly one of label, label_group")
	case t.Label != "":
		checkLabelExists(r, path+".label", t.Label, c)
	default:
		checkGroupExists(r, path+".label_group", t.LabelGroup, c)
	}
}

// checkActor checks that a has one field set and that what it names
// exists. It reports whether a is well formed, for the callers' checks of
// where an actor kind may appear.
func checkActor(r *report, path string, a Actor, c Catalog) bool {
	if a.setFields() != 1 {
		r.fail(path, "set exactly one of all_workloads, label, label_group, ip_list, workload")
		return false
	}
	switch {
	case a.Label != "":
		checkLabelExists(r, path+".label", a.Label, c)
	case a.LabelGroup != "":
		checkGroupExists(r, path+".label_group", a.LabelGroup, c)
	case a.IPList != "":
		if !c.HasIPList(a.IPList) {
			r.failf(path+".ip_list", "ip list %q not found", a.IPList)
		}
	case a.Workload != "":
		switch {
		case !ids.Valid(string(a.Workload)):
			r.failf(path+".workload", "must be a workload id (a lowercase UUID), got %q", a.Workload)
		case !c.HasWorkload(a.Workload):
			r.failf(path+".workload", "workload %q not found", a.Workload)
		}
	}
	return true
}

func checkLabelExists(r *report, path string, id LabelID, c Catalog) {
	if _, ok := c.Label(id); !ok {
		r.failf(path, "label %q not found", id)
	}
}

func checkGroupExists(r *report, path string, id LabelGroupID, c Catalog) {
	if _, ok := c.LabelGroup(id); !ok {
		r.failf(path, "label group %q not found", id)
	}
}

// checkServiceRef checks one entry of a rule's services: a named service
// that exists, or an inline port — never both, which would leave a reader
// unsure which one the rule uses.
func checkServiceRef(r *report, path string, s ServiceRef, c Catalog) {
	if s.Service == "" {
		checkPort(r, path, s.Port)
		return
	}
	if s.Port != (Port{}) {
		r.fail(path, "set either service or an inline port, not both")
	}
	if !c.HasService(s.Service) {
		r.failf(path+".service", "service %q not found", s.Service)
	}
}
