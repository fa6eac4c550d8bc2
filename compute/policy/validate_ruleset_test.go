package policy

import (
	"strings"
	"testing"
)

// rulesetCase validates one ruleset against the world.
type rulesetCase struct {
	name  string
	rs    Ruleset
	errs  []string
	warns []string
	msg   string
}

func runRulesetCases(t *testing.T, cases []rulesetCase) {
	t.Helper()
	c := worldPolicy().Catalog(hasWorkloadIn(worldWorkloads()))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			warns, err := ValidateRuleset(&tc.rs, c)
			checkFindings(t, err, warns, tc.errs, tc.warns, tc.msg)
		})
	}
}

// with returns rs after f changed it, so rows can start from a valid
// ruleset and break one thing.
func with(rs Ruleset, f func(*Ruleset)) Ruleset { f(&rs); return rs }

func TestValidateRulesetErrors(t *testing.T) {
	prod := []string{"env=prod"}
	// ok returns a fresh valid rule: rows change their copy in place.
	ok := func() Rule { return rule(Allow, "role=db", "role=web", "tcp/5432") }
	many := func(n int, r Rule) []Rule {
		out := make([]Rule, n)
		for i := range out {
			out[i] = r
		}
		return out
	}
	manyScopes := make([]string, 65)
	for i := range manyScopes {
		manyScopes[i] = "env=prod"
	}
	runRulesetCases(t, []rulesetCase{
		{name: "valid", rs: rset("r", prod, ok(), extra(rule(Deny, "role=db,g:front", "ip:corp,wl:web1,*", "s:pg,icmp/8")))},
		{name: "valid without rules", rs: rset("r", prod)},
		{name: "valid without scopes, ip list consumer", rs: rset("r", nil, rule(Allow, "role=db", "ip:corp", "tcp/5432"))},
		{name: "valid 1000 rules", rs: rset("r", nil, many(1000, ok())...)},
		{name: "valid 64 scopes", rs: rset("r", manyScopes[:64], ok())},

		{name: "65 scopes", rs: rset("r", manyScopes, ok()), errs: []string{"scopes"}, msg: "must have at most 64 entries"},
		{name: "empty scope", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Scopes = append(rs.Scopes, Scope{}) }),
			errs: []string{"scopes[1]"}, msg: "at least one label"},
		{name: "scope term with both", rs: with(rset("r", prod, ok()), func(rs *Ruleset) {
			rs.Scopes[0] = append(rs.Scopes[0], LabelRef{Label: lbl("loc=us"), LabelGroup: grp("front")})
		}), errs: []string{"scopes[0][1]"}, msg: "set exactly one of label, label_group"},
		{name: "scope term with neither", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Scopes[0][0] = LabelRef{} }),
			errs: []string{"scopes[0][0]"}},
		{name: "scope label not found", rs: rset("r", []string{"env=prod", "env=prod,loc=mars"}, ok()), errs: []string{"scopes[1][1].label"},
			msg: `label "` + string(lbl("loc=mars")) + `" not found`},
		{name: "scope group not found", rs: rset("r", []string{"g:ghost"}, ok()), errs: []string{"scopes[0][0].label_group"},
			msg: `label group "` + string(grp("ghost")) + `" not found`},

		{name: "1001 rules", rs: rset("r", nil, many(1001, ok())...), errs: []string{"rules"}, msg: "at most 1000"},
		{name: "rule id missing", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Rules[0].ID = "" }), errs: []string{"rules[0].id"}, msg: "is required"},
		{name: "rule id not canonical", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Rules[0].ID = RuleID(strings.ToUpper(string(rs.Rules[0].ID))) }),
			errs: []string{"rules[0].id"}, msg: "lowercase UUID"},
		{name: "rule id duplicate", rs: with(rset("r", prod, ok(), ok(), ok()), func(rs *Ruleset) { rs.Rules[2].ID = rs.Rules[0].ID }),
			errs: []string{"rules[2].id"}, msg: "also rules[0]"},
		{name: "action unknown", rs: rset("r", prod, rule("permit", "role=db", "role=web", "any")), errs: []string{"rules[0].action"},
			msg: `must be one of allow, deny, override_deny, got "permit"`},
		{name: "action missing", rs: rset("r", prod, rule("", "role=db", "role=web", "any")), errs: []string{"rules[0].action"}},
		{name: "description too long", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Rules[0].Description = strings.Repeat("x", 1025) }),
			errs: []string{"rules[0].description"}},

		{name: "no providers", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Rules[0].Providers = nil }),
			errs: []string{"rules[0].providers"}, msg: "must have 1 to 64 entries"},
		{name: "65 providers", rs: with(rset("r", prod, ok()), func(rs *Ruleset) {
			rs.Rules[0].Providers = make([]Actor, 65)
			for i := range rs.Rules[0].Providers {
				rs.Rules[0].Providers[i] = Actor{AllWorkloads: true}
			}
		}), errs: []string{"rules[0].providers"}},
		{name: "no consumers", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Rules[0].Consumers = []Actor{} }),
			errs: []string{"rules[0].consumers"}},
		{name: "actor with nothing set", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Rules[0].Consumers[0] = Actor{} }),
			errs: []string{"rules[0].consumers[0]"}, msg: "set exactly one of all_workloads, label, label_group, ip_list, workload"},
		{name: "actor with two fields", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Rules[0].Providers[0].Workload = wid("db1") }),
			errs: []string{"rules[0].providers[0]"}},
		{name: "actor all_workloads and label", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Rules[0].Consumers[0].AllWorkloads = true }),
			errs: []string{"rules[0].consumers[0]"}},
		{name: "consumer label not found", rs: rset("r", prod, rule(Allow, "role=db", "role=web,role=ghost", "any")),
			errs: []string{"rules[0].consumers[1].label"}, msg: `label "` + string(lbl("role=ghost")) + `" not found`},
		{name: "provider group not found", rs: rset("r", prod, rule(Allow, "g:ghost", "role=web", "any")),
			errs: []string{"rules[0].providers[0].label_group"}, msg: "not found"},
		{name: "ip list not found", rs: rset("r", nil, rule(Allow, "role=db", "ip:ghost", "any")),
			errs: []string{"rules[0].consumers[0].ip_list"}, msg: `ip list "` + string(ipl("ghost")) + `" not found`},
		{name: "workload not found", rs: rset("r", nil, rule(Allow, "wl:ghost", "role=web", "any")),
			errs: []string{"rules[0].providers[0].workload"}, msg: `workload "` + string(wid("ghost")) + `" not found`},
		{name: "workload id malformed", rs: rset("r", nil, Rule{Action: Allow, Providers: actors("*"), Consumers: []Actor{{Workload: "web1"}}, Services: services("any")}),
			errs: []string{"rules[0].consumers[0].workload"}, msg: `got "web1"`},
		{name: "ip list as provider", rs: rset("r", nil, rule(Allow, "ip:corp", "role=web", "any")),
			errs: []string{"rules[0].providers[0].ip_list"}, msg: "ip lists can only be consumers"},
		{name: "ip list consumer of an intra-scope rule", rs: rset("r", prod, ok(), rule(Allow, "role=db", "role=web,ip:corp", "any")),
			errs: []string{"rules[1].consumers[1].ip_list"}, msg: "only of extra-scope rules (unscoped_consumers) or of rulesets without scopes"},

		{name: "no services", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Rules[0].Services = nil }),
			errs: []string{"rules[0].services"}, msg: "must have 1 to 64 entries"},
		{name: "65 services", rs: with(rset("r", prod, ok()), func(rs *Ruleset) {
			for range 64 {
				rs.Rules[0].Services = append(rs.Rules[0].Services, ServiceRef{Port: port("udp/1")})
			}
		}), errs: []string{"rules[0].services"}},
		{name: "service not found", rs: rset("r", prod, rule(Allow, "role=db", "role=web", "tcp/1,s:ghost")),
			errs: []string{"rules[0].services[1].service"}, msg: `service "` + string(svc("ghost")) + `" not found`},
		{name: "service and inline port", rs: with(rset("r", prod, ok()), func(rs *Ruleset) { rs.Rules[0].Services[0].Service = svc("pg") }),
			errs: []string{"rules[0].services[0]"}, msg: "not both"},
		{name: "inline port out of range", rs: rset("r", prod, ok(), ok(), rule(Allow, "role=db", "role=web", "tcp/70000")),
			errs: []string{"rules[2].services[0].port"}},
		{name: "inline port bad proto", rs: rset("r", prod, rule(Allow, "role=db", "role=web", "tcp/1,sctp")),
			errs: []string{"rules[0].services[1].proto"}, msg: "must be one of tcp, udp, icmp, icmpv6, any"},
		{name: "inline icmp code without type", rs: rset("r", prod, Rule{Action: Allow, Providers: actors("*"), Consumers: actors("*"),
			Services: []ServiceRef{{Port: Port{Proto: ProtoICMP, ICMPCode: intp(1)}}}}),
			errs: []string{"rules[0].services[0].icmp_code"}},

		{name: "every error at once, no warnings", rs: with(rset("r", []string{"env=prod", "env=ghost"},
			rule("x", "ip:corp,env=prod", "role=ghost", "s:ghost")), func(rs *Ruleset) { rs.Name = "" }),
			errs: []string{"name", "scopes[1][0].label", "rules[0].action", "rules[0].providers[0].ip_list",
				"rules[0].consumers[0].label", "rules[0].services[0].service"}},
	})
}

func TestValidateRulesetWarnings(t *testing.T) {
	prod := []string{"env=prod"}
	const repeats = "repeats the ruleset's scope label; scope already applies"
	runRulesetCases(t, []rulesetCase{
		// The actor repeats the scope.
		{name: "provider label repeats scope", rs: rset("r", prod, rule(Allow, "env=prod,role=db", "role=web", "any")),
			warns: []string{"rules[0].providers[0]"}, msg: repeats},
		{name: "intra-scope consumer label repeats scope", rs: rset("r", prod, rule(Allow, "role=db", "role=web,env=prod", "any")),
			warns: []string{"rules[0].consumers[1]"}, msg: repeats},
		{name: "extra-scope consumer label may repeat scope", rs: rset("r", prod, extra(rule(Allow, "role=db", "env=prod", "any")))},
		{name: "repeats every one of two scopes", rs: rset("r", []string{"env=prod,loc=us", "loc=eu,env=prod"}, rule(Allow, "env=prod", "*", "any")),
			warns: []string{"rules[0].providers[0]"}},
		{name: "in one scope only", rs: rset("r", []string{"env=prod,loc=us", "env=dev,loc=us"}, rule(Allow, "env=prod", "*", "any"))},
		{name: "narrows a scope of two values", rs: rset("r", []string{"env=prod,env=dev"}, rule(Allow, "env=prod", "*", "any"))},
		{name: "group repeats scope", rs: rset("r", []string{"g:nonprod"}, rule(Allow, "g:nonprod,role=db", "role=web", "any")),
			warns: []string{"rules[0].providers[0]"}, msg: repeats},
		{name: "no scopes, nothing to repeat", rs: rset("r", nil, rule(Allow, "env=prod", "env=prod", "any"))},

		// The side can never be in the scope.
		{name: "provider contradicts scope", rs: rset("r", prod, rule(Allow, "env=dev,role=db", "role=web", "any")),
			warns: []string{"rules[0].providers"}, msg: "can never match: no workload is both in the scope and in env=dev"},
		{name: "intra-scope consumer contradicts scope", rs: rset("r", prod, rule(Allow, "role=db", "env=dev", "any")),
			warns: []string{"rules[0].consumers"}, msg: "can never match"},
		{name: "extra-scope consumer may be outside", rs: rset("r", prod, extra(rule(Allow, "role=db", "env=dev", "any")))},
		{name: "contradicts every one of two scopes", rs: rset("r", []string{"env=prod", "env=dev"}, rule(Allow, "env=test", "*", "any")),
			warns: []string{"rules[0].providers"}},
		{name: "contradicts one of two scopes", rs: rset("r", []string{"env=prod", "env=dev"}, rule(Allow, "env=dev", "*", "any"))},
		{name: "contradicts on different keys per scope", rs: rset("r", []string{"env=prod", "loc=us"}, rule(Allow, "env=dev,loc=eu", "*", "any")),
			warns: []string{"rules[0].providers"}, msg: "in env=dev"},
		{name: "contradicts through groups", rs: rset("r", []string{"g:nonprod"}, rule(Allow, "env=prod", "*", "any")),
			warns: []string{"rules[0].providers"}},
		{name: "overlaps through nested group", rs: rset("r", []string{"g:nonprod"}, rule(Allow, "g:anyenv", "*", "any"))},
		{name: "scope does not constrain the key", rs: rset("r", []string{"loc=us"}, rule(Allow, "env=dev", "*", "any"))},
		{name: "other actor kinds may still match", rs: rset("r", prod, rule(Allow, "env=dev,wl:db1", "env=dev,*", "any"))},
		{name: "both sides and both warnings", rs: rset("r", prod, rule(Allow, "env=dev", "env=prod,role=web", "any"), rule(Allow, "*", "env=test", "any")),
			warns: []string{"rules[0].providers", "rules[0].consumers[0]", "rules[1].consumers"}},

		// Empty label groups.
		{name: "empty group actor", rs: rset("r", nil, rule(Allow, "role=db", "role=web,g:emptyenv", "any")),
			warns: []string{"rules[0].consumers[1].label_group"}, msg: `label group "emptyenv" is empty: matches no workload`},
		{name: "empty group actor in a scoped ruleset", rs: rset("r", prod, rule(Allow, "g:emptyenv", "role=web", "any")),
			warns: []string{"rules[0].providers[0].label_group"}},
		{name: "empty group in scope", rs: rset("r", []string{"env=prod", "role=web,g:emptyenv"}, rule(Allow, "role=db", "*", "any")),
			warns: []string{"scopes[1][1].label_group"}},
	})
}
