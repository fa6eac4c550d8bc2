package policy

import "testing"

func TestValidateLabelGroup(t *testing.T) {
	world := worldPolicy()
	// c1 and c2 form a cycle already (a corrupt store), to check that
	// validation of other groups still terminates, and that an update
	// removing the cycle is accepted.
	world.LabelGroups = append(world.LabelGroups,
		group("c1", "loc", "loc=us", "g:c2"),
		group("c2", "loc", "loc=eu", "g:c1"),
	)
	c := world.Catalog(nil)
	for _, tc := range []struct {
		name  string
		g     LabelGroup
		errs  []string
		warns []string
		msg   string
	}{
		{name: "valid", g: group("new", "env", "env=prod", "g:nonprod")},
		{name: "valid nested 3 levels", g: group("new", "role", "g:alltiers")},
		{name: "valid update of a nested group", g: group("front", "role", "role=web")},
		{name: "empty: warning", g: group("new", "env"), warns: []string{"labels"}, msg: "empty group matches no workload"},
		{name: "key missing", g: group("new", "", "env=prod"), errs: []string{"key"}, msg: "is required"},
		{name: "key malformed", g: group("new", "Env"), errs: []string{"key"}},
		{name: "label not found", g: group("new", "env", "env=prod", "env=ghost"), errs: []string{"labels[1]"},
			msg: `label "` + string(lbl("env=ghost")) + `" not found`},
		{name: "label id empty", g: LabelGroup{Name: "new", Key: "env", Labels: []LabelID{""}}, errs: []string{"labels[0]"}},
		{name: "label of another key", g: group("new", "env", "env=prod", "role=web"), errs: []string{"labels[1]"},
			msg: `(role=web) has key "role", not the group's key "env"`},
		{name: "duplicate label", g: group("new", "env", "env=prod", "env=dev", "env=prod"), errs: []string{"labels[2]"}, msg: "also labels[0]"},
		{name: "group not found", g: group("new", "env", "g:ghost"), errs: []string{"groups[0]"}, msg: "not found"},
		{name: "group of another key", g: group("new", "env", "g:nonprod", "g:front"), errs: []string{"groups[1]"},
			msg: `("front") has key "role", not the group's key "env"`},
		{name: "contains itself", g: group("new", "env", "env=prod", "g:new"), errs: []string{"groups[0]"}, msg: "cannot contain itself"},
		{name: "duplicate group", g: group("new", "env", "g:nonprod", "g:nonprod"), errs: []string{"groups[1]"}, msg: "also groups[0]"},
		{name: "cycle of two", g: group("nonprod", "env", "env=dev", "g:anyenv"), errs: []string{"groups[0]"},
			msg: `("anyenv") contains this group: nesting it here would make a cycle`},
		{name: "cycle of three", g: group("front", "role", "role=web", "g:alltiers"), errs: []string{"groups[0]"}, msg: "cycle"},
		{name: "update removing a stored cycle", g: group("c1", "loc", "loc=us")},
		{name: "update keeping a stored cycle", g: group("c1", "loc", "g:c2"), errs: []string{"groups[0]"}, msg: "cycle"},
		{name: "every error at once", g: LabelGroup{ID: grp("new"), Key: "env",
			Labels: []LabelID{lbl("env=ghost"), lbl("role=web")}, Groups: []LabelGroupID{grp("new"), grp("ghost")}},
			errs: []string{"name", "labels[0]", "labels[1]", "groups[0]", "groups[1]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warns, err := ValidateLabelGroup(&tc.g, c)
			checkFindings(t, err, warns, tc.errs, tc.warns, tc.msg)
		})
	}
}
