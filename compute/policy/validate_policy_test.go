package policy

import (
	"fmt"
	"strings"
	"testing"
)

func TestPolicyValidate(t *testing.T) {
	ws := worldWorkloads()
	// base is a valid world with one ruleset; rows break one thing each.
	base := func() *Policy {
		return worldPolicy(
			rset("main", []string{"env=prod"}, rule(Allow, "role=db", "role=web", "s:pg"), extra(rule(Allow, "role=db", "ip:corp,wl:web1", "tcp/5432"))),
			rset("other", nil, rule(Deny, "*", "ip:office", "any")),
		)
	}
	change := func(f func(*Policy)) *Policy { p := base(); f(p); return p }
	manyKeys := func(p *Policy) {
		for i := range 13 { // 4 world keys + 13 = 17
			p.Labels = append(p.Labels, label(fmt.Sprintf("k%d=v", i)))
		}
	}
	for _, tc := range []struct {
		name        string
		p           *Policy
		errs, warns []string
		msg         string
	}{
		{name: "valid", p: base(), warns: []string{"label_groups[5].labels"}},
		{name: "valid empty document", p: &Policy{}},
		{name: "valid 16 keys", p: change(func(p *Policy) { manyKeys(p); p.Labels = p.Labels[:len(p.Labels)-1] }), warns: []string{"label_groups[5].labels"}},

		// A broken label also breaks what refers to it.
		{name: "label id missing", p: change(func(p *Policy) { p.Labels[0].ID = "" }),
			errs: []string{"labels[0].id", "label_groups[2].labels[0]", "rulesets[0].rules[0].consumers[0].label"}},
		{name: "label id not canonical", p: change(func(p *Policy) { p.Labels[8].ID = "{" + p.Labels[8].ID + "}" }), errs: []string{"labels[8].id"}},
		{name: "label id twice", p: change(func(p *Policy) { p.Labels = append(p.Labels, Label{ID: p.Labels[1].ID, Key: "loc", Value: "mars"}) }),
			errs: []string{"labels[11].id"}, msg: "also labels[1]"},
		{name: "label key=value twice", p: change(func(p *Policy) { p.Labels = append(p.Labels, Label{ID: LabelID(uid("x")), Key: "env", Value: "prod"}) }),
			errs: []string{"labels[11].value"}, msg: "env=prod is listed twice: also labels[4]"},
		{name: "label key malformed", p: change(func(p *Policy) { p.Labels[10].Key = "App" }), errs: []string{"labels[10].key"}},
		{name: "label value malformed", p: change(func(p *Policy) { p.Labels[0].Value = "a,b" }), errs: []string{"labels[0].value"}},
		{name: "17 keys", p: change(manyKeys), errs: []string{"labels[23].key"}, msg: "at most 16 keys"},

		{name: "group id missing", p: change(func(p *Policy) { p.LabelGroups[5].ID = "" }), errs: []string{"label_groups[5].id"}},
		{name: "group id twice", p: change(func(p *Policy) { p.LabelGroups[5].ID = p.LabelGroups[0].ID }), errs: []string{"label_groups[5].id"}, msg: "also label_groups[0]"},
		{name: "group name twice, other case", p: change(func(p *Policy) { p.LabelGroups[5].Name = "NonProd" }), errs: []string{"label_groups[5].name"},
			msg: `name "NonProd" is already used by label_groups[0]`},
		{name: "group member error", p: change(func(p *Policy) { p.LabelGroups[1].Groups = append(p.LabelGroups[1].Groups, grp("front")) }),
			errs: []string{"label_groups[1].groups[1]"}},
		{name: "group cycle", p: change(func(p *Policy) { p.LabelGroups[0].Groups = []LabelGroupID{grp("anyenv")} }),
			errs: []string{"label_groups[0].groups[0]", "label_groups[1].groups[0]"}, msg: "cycle"},
		{name: "service id malformed", p: change(func(p *Policy) { p.Services[1].ID = "webs" }), errs: []string{"services[1].id"}},
		{name: "service name twice", p: change(func(p *Policy) { p.Services[1].Name = "PG" }), errs: []string{"services[1].name"}},
		{name: "service port error", p: change(func(p *Policy) { p.Services[2].Ports[1].Proto = "sctp" }), errs: []string{"services[2].ports[1].proto"}},
		{name: "ip list id twice", p: change(func(p *Policy) { p.IPLists[1].ID = p.IPLists[0].ID }),
			errs: []string{"ip_lists[1].id", "rulesets[1].rules[0].consumers[0].ip_list"}},
		{name: "ip list range error", p: change(func(p *Policy) { p.IPLists[0].Ranges[1] = "2001:db8:c::1/48" }), errs: []string{"ip_lists[0].ranges[1]"},
			msg: "did you mean 2001:db8:c::/48"},
		{name: "ip list warning", p: change(func(p *Policy) { p.IPLists[1].Exclusions = []string{"203.0.113.0/24"} }),
			warns: []string{"label_groups[5].labels", "ip_lists[1].exclusions"}},
		{name: "ruleset id missing", p: change(func(p *Policy) { p.Rulesets[1].ID = "" }), errs: []string{"rulesets[1].id"}},
		{name: "ruleset name twice", p: change(func(p *Policy) { p.Rulesets[1].Name = "Main" }), errs: []string{"rulesets[1].name"}},
		{name: "rule ids may repeat across rulesets", p: change(func(p *Policy) { p.Rulesets[1].Rules[0].ID = p.Rulesets[0].Rules[0].ID }),
			warns: []string{"label_groups[5].labels"}},
		{name: "ruleset reference error", p: change(func(p *Policy) { p.Rulesets[0].Rules[1].Consumers[0].IPList = ipl("ghost") }),
			errs: []string{"rulesets[0].rules[1].consumers[0].ip_list"}},
		{name: "ruleset reference to a label elsewhere", p: change(func(p *Policy) { p.Labels = p.Labels[1:] }),
			errs: []string{"label_groups[2].labels[0]", "rulesets[0].rules[0].consumers[0].label"}},
		{name: "ruleset warning", p: change(func(p *Policy) { p.Rulesets[0].Rules[0].Providers = actors("env=prod,role=db") }),
			warns: []string{"label_groups[5].labels", "rulesets[0].rules[0].providers[0]"}},
		{name: "workload unknown to hasWorkload", p: change(func(p *Policy) { p.Rulesets[0].Rules[1].Consumers[1].Workload = wid("gone") }),
			errs: []string{"rulesets[0].rules[1].consumers[1].workload"}},
		{name: "errors everywhere", p: change(func(p *Policy) {
			p.Labels[0].Value = ""
			p.LabelGroups[0].Name = ""
			p.Services[0].Ports = nil
			p.IPLists[0].Ranges = nil
			p.Rulesets[0].Rules[0].Action = ""
		}), errs: []string{"labels[0].value", "label_groups[0].name", "services[0].ports", "ip_lists[0].ranges", "rulesets[0].rules[0].action"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warns, err := tc.p.Validate(hasWorkloadIn(ws))
			checkFindings(t, err, warns, tc.errs, tc.warns, tc.msg)
		})
	}
}

// A nil hasWorkload accepts any workload id, as for an import whose
// workloads are not known yet; malformed ids are still refused.
func TestPolicyValidateNilHasWorkload(t *testing.T) {
	p := worldPolicy(rset("r", nil, rule(Allow, "wl:anything", "*", "any")))
	if _, err := p.Validate(nil); err != nil {
		t.Errorf("Validate(nil): %v", err)
	}
	p.Rulesets[0].Rules[0].Providers[0].Workload = "ANYTHING"
	_, err := p.Validate(nil)
	checkFindings(t, err, nil, []string{"rulesets[0].rules[0].providers[0].workload"}, nil, "")
	if !strings.Contains(err.Error(), "invalid request") {
		t.Errorf("error %q", err)
	}
}
