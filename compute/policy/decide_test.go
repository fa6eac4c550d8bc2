package policy

import (
	"reflect"
	"strings"
	"testing"
)

// decideCase is one flow through the world under some rulesets.
type decideCase struct {
	name     string
	rulesets []Ruleset
	flow     Flow
	dstMode  Mode // "" keeps full
	srcMode  Mode // "" keeps full; applies to every source workload
	outbound bool
	want     Verdict
	reason   Reason
	rules    []RuleRef // checked when not nil
}

// Short names for the rows.
const (
	A, B, P = Allowed, Blocked, PotentiallyBlocked
	byO     = ByOverrideDeny
	byA     = ByAllow
	byD     = ByDeny
	byDef   = ByDefault
)

func TestDecide(t *testing.T) {
	prod := []string{"env=prod"}
	webToDB := rule(Allow, "role=db", "role=web", "tcp/5432")
	tests := []decideCase{
		// Scopes: providers always in the scope, consumers too unless extra-scope.
		{name: "intra-scope: consumer in scope", rulesets: []Ruleset{rset("r", prod, webToDB)},
			flow: flow("web1", "db1", "tcp/5432"), want: A, reason: byA, rules: []RuleRef{rr("r", 0)}},
		{name: "intra-scope: consumer outside scope", rulesets: []Ruleset{rset("r", prod, webToDB)},
			flow: flow("webdev", "db1", "tcp/5432"), want: B, reason: byDef, rules: []RuleRef{}},
		{name: "extra-scope: consumer outside scope", rulesets: []Ruleset{rset("r", prod, extra(webToDB))},
			flow: flow("webdev", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "extra-scope: provider outside scope", rulesets: []Ruleset{rset("r", prod, extra(webToDB))},
			flow: flow("web1", "dbdev", "tcp/5432"), want: B, reason: byDef},
		{name: "no scopes: applies everywhere", rulesets: []Ruleset{rset("r", nil, webToDB)},
			flow: flow("webdev", "db1", "tcp/5432"), want: A, reason: byA},

		// Several scopes: provider and consumer must share one.
		{name: "two scopes: both in prod", rulesets: []Ruleset{rset("r", []string{"env=prod", "env=dev"}, webToDB)},
			flow: flow("web1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "two scopes: both in dev", rulesets: []Ruleset{rset("r", []string{"env=prod", "env=dev"}, webToDB)},
			flow: flow("webdev", "dbdev", "tcp/5432"), want: A, reason: byA},
		{name: "two scopes: consumer in dev, provider in prod", rulesets: []Ruleset{rset("r", []string{"env=prod", "env=dev"}, webToDB)},
			flow: flow("webdev", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "two scopes: consumer in prod, provider in dev", rulesets: []Ruleset{rset("r", []string{"env=prod", "env=dev"}, webToDB)},
			flow: flow("web1", "dbdev", "tcp/5432"), want: B, reason: byDef},
		{name: "two scopes, extra-scope: across scopes", rulesets: []Ruleset{rset("r", []string{"env=prod", "env=dev"}, extra(webToDB))},
			flow: flow("webdev", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "one scope OR within key: dev and prod together", rulesets: []Ruleset{rset("r", []string{"env=prod,env=dev"}, webToDB)},
			flow: flow("webdev", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "scope AND across keys: consumer in", rulesets: []Ruleset{rset("r", []string{"env=prod,loc=us"}, webToDB)},
			flow: flow("web1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "scope AND across keys: consumer's loc out", rulesets: []Ruleset{rset("r", []string{"env=prod,loc=us"}, webToDB)},
			flow: flow("web2", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "scope AND across keys: provider lacks loc", rulesets: []Ruleset{rset("r", []string{"env=test,loc=us"}, rule(Allow, "*", "*", "any"))},
			flow: flow("lbtest", "lbtest", "tcp/1"), want: B, reason: byDef},
		{name: "scope by nested group", rulesets: []Ruleset{rset("r", []string{"g:nonprod"}, rule(Allow, "role=db", "g:front", "tcp/5432"))},
			flow: flow("lbtest", "dbdev", "tcp/5432"), want: A, reason: byA},
		{name: "scope by nested group: consumer in prod", rulesets: []Ruleset{rset("r", []string{"g:nonprod"}, rule(Allow, "role=db", "g:front", "tcp/5432"))},
			flow: flow("web1", "dbdev", "tcp/5432"), want: B, reason: byDef},
		{name: "scope by empty group matches nothing", rulesets: []Ruleset{rset("r", []string{"g:emptyenv"}, rule(Allow, "*", "*", "any"))},
			flow: flow("web1", "db1", "tcp/5432"), want: B, reason: byDef},

		// Label sets in actors: OR within a key, AND across keys.
		{name: "actor OR within key: app", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "role=web,role=app", "tcp/5432"))},
			flow: flow("app1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "actor OR within key: web", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "role=web,role=app", "tcp/5432"))},
			flow: flow("web2", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "actor OR within key: lb is neither", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "role=web,role=app", "tcp/5432"))},
			flow: flow("lbtest", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "actor AND across keys: both", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "role=web,loc=us", "tcp/5432"))},
			flow: flow("web1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "actor AND across keys: wrong loc", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "role=web,loc=us", "tcp/5432"))},
			flow: flow("web2", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "actor AND and OR: eu", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "role=web,loc=us,loc=eu", "tcp/5432"))},
			flow: flow("corpvm", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "actor AND: workload lacking the key", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "role=web,app=shop", "tcp/5432"))},
			flow: flow("corpvm", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "provider AND across keys", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db,env=dev", "*", "tcp/5432"))},
			flow: flow("web1", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "label set OR workload actor", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "role=app,wl:web2", "tcp/5432"))},
			flow: flow("web2", "db1", "tcp/5432"), want: A, reason: byA},

		// Label groups, nested.
		{name: "group 2 levels: via nested", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:midtier", "tcp/5432"))},
			flow: flow("lbtest", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "group 2 levels: direct", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:midtier", "tcp/5432"))},
			flow: flow("app1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "group 2 levels: outside", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:midtier", "tcp/5432"))},
			flow: flow("dbdev", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "group 3 levels", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:alltiers", "tcp/5432"))},
			flow: flow("dbdev", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "group 3 levels: deepest", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:alltiers", "tcp/5432"))},
			flow: flow("webdev", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "group 3 levels: no role", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:alltiers", "tcp/5432"))},
			flow: flow("bare", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "group AND label: both", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:nonprod,role=web", "tcp/5432"))},
			flow: flow("webdev", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "group AND label: label fails", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:nonprod,role=web", "tcp/5432"))},
			flow: flow("lbtest", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "group AND label: group fails", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:nonprod,role=web", "tcp/5432"))},
			flow: flow("web1", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "group OR same-key label", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:nonprod,env=prod", "tcp/5432"))},
			flow: flow("web1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "group OR same-key label: no env", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:nonprod,env=prod", "tcp/5432"))},
			flow: flow("bare", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "empty group matches nothing", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "g:emptyenv", "tcp/5432"))},
			flow: flow("web1", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "group as provider", rulesets: []Ruleset{rset("r", nil, rule(Allow, "g:anyenv,role=db", "role=web", "tcp/5432"))},
			flow: flow("web1", "dbdev", "tcp/5432"), want: A, reason: byA},

		// All workloads, workload actors.
		{name: "all workloads: unlabelled workload", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "*", "tcp/5432"))},
			flow: flow("bare", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "all workloads: address of no workload", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "*", "tcp/5432"))},
			flow: flow("8.8.8.8", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "all workloads intra-scope: out of scope", rulesets: []Ruleset{rset("r", prod, rule(Allow, "role=db", "*", "tcp/5432"))},
			flow: flow("webdev", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "all workloads extra-scope", rulesets: []Ruleset{rset("r", prod, extra(rule(Allow, "role=db", "*", "tcp/5432")))},
			flow: flow("webdev", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "all workloads provider", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "role=web", "tcp/5432"))},
			flow: flow("web1", "bare", "tcp/5432"), want: A, reason: byA},
		{name: "workload actors", rulesets: []Ruleset{rset("r", nil, rule(Allow, "wl:db1", "wl:web1", "tcp/5432"))},
			flow: flow("web1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "workload actor: other consumer", rulesets: []Ruleset{rset("r", nil, rule(Allow, "wl:db1", "wl:web1", "tcp/5432"))},
			flow: flow("web2", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "workload actor: other provider", rulesets: []Ruleset{rset("r", nil, rule(Allow, "wl:db1", "wl:web1", "tcp/5432"))},
			flow: flow("web1", "dbdev", "tcp/5432"), want: B, reason: byDef},
		{name: "workload actor intra-scope: out of scope", rulesets: []Ruleset{rset("r", prod, rule(Allow, "role=db", "wl:webdev", "tcp/5432"))},
			flow: flow("webdev", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "workload actor extra-scope", rulesets: []Ruleset{rset("r", prod, extra(rule(Allow, "role=db", "wl:webdev", "tcp/5432")))},
			flow: flow("webdev", "db1", "tcp/5432"), want: A, reason: byA},

		// IP-list consumers, with exclusions, both families.
		{name: "ip list: v4 in range", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "ip:corp", "tcp/5432"))},
			flow: flow("192.168.1.50", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "ip list: v4 excluded", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "ip:corp", "tcp/5432"))},
			flow: flow("192.168.66.5", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "ip list: v4 outside", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "ip:corp", "tcp/5432"))},
			flow: flow("10.9.9.9", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "ip list: v4-mapped v6 in range", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "ip:corp", "tcp/5432"))},
			flow: flow("::ffff:192.168.1.50", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "ip list: v6 in range", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "ip:corp", "tcp/5432"))},
			flow: flow("2001:db8:c::5", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "ip list: v6 excluded", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "ip:corp", "tcp/5432"))},
			flow: flow("2001:db8:c:bad::1", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "ip list: dash range inside", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "ip:office", "tcp/5432"))},
			flow: flow("203.0.113.20", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "ip list: dash range outside", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "ip:office", "tcp/5432"))},
			flow: flow("203.0.113.21", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "ip list: workload source by its address", rulesets: []Ruleset{rset("r", nil, rule(Allow, "role=db", "ip:corp", "tcp/5432"))},
			flow: flow("corpvm", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "ip list: extra-scope rule, provider in scope", rulesets: []Ruleset{rset("r", prod, extra(rule(Allow, "role=db", "ip:corp", "tcp/5432")))},
			flow: flow("192.168.1.50", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "ip list: extra-scope rule, provider out of scope", rulesets: []Ruleset{rset("r", prod, extra(rule(Allow, "role=db", "ip:corp", "tcp/5432")))},
			flow: flow("192.168.1.50", "dbdev", "tcp/5432"), want: B, reason: byDef},
		{name: "ip list: deny beats nothing, allow beats deny", rulesets: []Ruleset{rset("r", nil,
			rule(Deny, "role=db", "ip:corp", "tcp/5432"), rule(Allow, "role=db", "role=web", "tcp/5432"))},
			flow: flow("corpvm", "db1", "tcp/5432"), want: A, reason: byA, rules: []RuleRef{rr("r", 1)}},

		// Sources given by address.
		{name: "source v4 resolves to a workload", rulesets: []Ruleset{rset("r", prod, webToDB)},
			flow: flow("10.0.0.1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "source v6 resolves to a workload", rulesets: []Ruleset{rset("r", prod, webToDB)},
			flow: flow("2001:db8:1::1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "source v4-mapped resolves to a workload", rulesets: []Ruleset{rset("r", prod, webToDB)},
			flow: flow("::ffff:10.0.0.1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "source v4 resolves to no workload", rulesets: []Ruleset{rset("r", nil, webToDB)},
			flow: flow("10.0.0.200", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "source v6 resolves to no workload", rulesets: []Ruleset{rset("r", nil, webToDB)},
			flow: flow("2001:db8:1::99", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "source address held by two workloads: either matches", rulesets: []Ruleset{rset("r", prod, webToDB)},
			flow: flow("10.0.5.5", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "source address held by two workloads: deny via one", rulesets: []Ruleset{rset("r", nil,
			rule(Allow, "role=db", "role=web", "tcp/5432"), rule(Deny, "role=db", "env=dev", "tcp/5432"))},
			flow: flow("10.0.5.5", "db1", "tcp/5432"), want: A, reason: byA, rules: []RuleRef{rr("r", 0)}},

		// Services.
		{name: "port range: low end", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "tcp/8000-8100"))},
			flow: flow("web1", "db1", "tcp/8000"), want: A, reason: byA},
		{name: "port range: high end", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "tcp/8000-8100"))},
			flow: flow("web1", "db1", "tcp/8100"), want: A, reason: byA},
		{name: "port range: below", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "tcp/8000-8100"))},
			flow: flow("web1", "db1", "tcp/7999"), want: B, reason: byDef},
		{name: "port range: above", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "tcp/8000-8100"))},
			flow: flow("web1", "db1", "tcp/8101"), want: B, reason: byDef},
		{name: "port range: other proto", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "tcp/8000-8100"))},
			flow: flow("web1", "db1", "udp/8050"), want: B, reason: byDef},
		{name: "port 0: every tcp port", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "tcp"))},
			flow: flow("web1", "db1", "tcp/65535"), want: A, reason: byA},
		{name: "port 0: not udp", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "tcp"))},
			flow: flow("web1", "db1", "udp/53"), want: B, reason: byDef},
		{name: "named service: second port", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "s:webs"))},
			flow: flow("web1", "db1", "tcp/443"), want: A, reason: byA},
		{name: "named service: no port", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "s:webs"))},
			flow: flow("web1", "db1", "tcp/8443"), want: B, reason: byDef},
		{name: "named service: udp entry", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "s:dns"))},
			flow: flow("web1", "db1", "udp/53"), want: A, reason: byA},
		{name: "two service entries: second", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "s:pg,udp/53"))},
			flow: flow("web1", "db1", "udp/53"), want: A, reason: byA},
		{name: "icmp type: match", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "icmp/8"))},
			flow: flow("web1", "db1", "icmp/8/0"), want: A, reason: byA},
		{name: "icmp type: other type", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "icmp/8"))},
			flow: flow("web1", "db1", "icmp/0"), want: B, reason: byDef},
		{name: "icmp type: flow without type", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "icmp/8"))},
			flow: flow("web1", "db1", "icmp"), want: B, reason: byDef},
		{name: "icmp type and code: match", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "icmp/3/4"))},
			flow: flow("web1", "db1", "icmp/3/4"), want: A, reason: byA},
		{name: "icmp type and code: other code", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "icmp/3/4"))},
			flow: flow("web1", "db1", "icmp/3/1"), want: B, reason: byDef},
		{name: "icmp: every type", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "icmp"))},
			flow: flow("web1", "db1", "icmp/13"), want: A, reason: byA},
		{name: "icmp: not icmpv6", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "icmp"))},
			flow: flow("web1", "db1", "icmpv6/128"), want: B, reason: byDef},
		{name: "icmpv6 via named service", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "s:ping"))},
			flow: flow("web1", "db1", "icmpv6/128/0"), want: A, reason: byA},
		{name: "any: tcp", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "any"))},
			flow: flow("web1", "db1", "tcp/1"), want: A, reason: byA},
		{name: "any: udp", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "any"))},
			flow: flow("web1", "db1", "udp/9"), want: A, reason: byA},
		{name: "any: icmpv6", rulesets: []Ruleset{rset("r", nil, rule(Allow, "*", "*", "any"))},
			flow: flow("web1", "db1", "icmpv6"), want: A, reason: byA},
		{name: "any via named service", rulesets: []Ruleset{rset("r", nil, rule(Deny, "*", "*", "s:all"))},
			flow: flow("web1", "db1", "icmp"), want: B, reason: byD},

		// Disabled rules and rulesets take no part.
		{name: "disabled rule", rulesets: []Ruleset{rset("r", nil, off(webToDB))},
			flow: flow("web1", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "disabled ruleset", rulesets: []Ruleset{func() Ruleset { rs := rset("r", nil, webToDB); rs.Enabled = boolp(false); return rs }()},
			flow: flow("web1", "db1", "tcp/5432"), want: B, reason: byDef},
		{name: "enabled explicitly", rulesets: []Ruleset{func() Ruleset { rs := rset("r", nil, webToDB); rs.Enabled = boolp(true); return rs }()},
			flow: flow("web1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "disabled override_deny lets allow win", rulesets: []Ruleset{rset("r", nil, webToDB, off(rule(OverrideDeny, "*", "*", "any")))},
			flow: flow("web1", "db1", "tcp/5432"), want: A, reason: byA, rules: []RuleRef{rr("r", 0)}},

		// Outbound enforcement: the source's mode counts too.
		{name: "outbound off: idle destination lets it pass", rulesets: nil,
			flow: flow("web1", "db1", "tcp/5432"), dstMode: Idle, srcMode: Full, want: A, reason: byDef},
		{name: "outbound on: full source blocks", rulesets: nil, outbound: true,
			flow: flow("web1", "db1", "tcp/5432"), dstMode: Idle, srcMode: Full, want: B, reason: byDef},
		{name: "outbound on: source by address resolves", rulesets: nil, outbound: true,
			flow: flow("10.0.0.1", "db1", "tcp/5432"), dstMode: Idle, srcMode: Full, want: B, reason: byDef},
		{name: "outbound on: source address of no workload", rulesets: nil, outbound: true,
			flow: flow("10.0.0.200", "db1", "tcp/5432"), dstMode: Idle, srcMode: Full, want: A, reason: byDef},
		{name: "outbound on: allowed both ends", rulesets: []Ruleset{rset("r", nil, webToDB)}, outbound: true,
			flow: flow("web1", "db1", "tcp/5432"), want: A, reason: byA},
		{name: "outbound on: visibility source reports", rulesets: nil, outbound: true,
			flow: flow("web1", "db1", "tcp/5432"), dstMode: Idle, srcMode: VisibilityOnly, want: P, reason: byDef},
		{name: "outbound on: stricter destination wins", rulesets: []Ruleset{rset("r", nil, rule(Deny, "*", "*", "any"))}, outbound: true,
			flow: flow("web1", "db1", "tcp/5432"), dstMode: Full, srcMode: Idle, want: B, reason: byD},
		{name: "outbound on: selective source blocks a deny", rulesets: []Ruleset{rset("r", nil, rule(Deny, "*", "*", "any"))}, outbound: true,
			flow: flow("web1", "db1", "tcp/5432"), dstMode: VisibilityOnly, srcMode: Selective, want: B, reason: byD},
		{name: "outbound off: selective source ignored", rulesets: []Ruleset{rset("r", nil, rule(Deny, "*", "*", "any"))},
			flow: flow("web1", "db1", "tcp/5432"), dstMode: VisibilityOnly, srcMode: Selective, want: P, reason: byD},
		{name: "outbound on: any source workload of an address", rulesets: nil, outbound: true,
			flow: flow("10.0.5.5", "db1", "tcp/5432"), dstMode: Idle, srcMode: Selective, want: P, reason: byDef},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkDecide(t, tc) })
	}
}

// checkDecide runs one case against the world.
func checkDecide(t *testing.T, tc decideCase) {
	t.Helper()
	p := worldPolicy(tc.rulesets...)
	p.Settings.OutboundEnforcement = tc.outbound
	ws := worldWorkloads()
	for i := range ws {
		switch {
		case ws[i].ID == tc.flow.Destination:
			if tc.dstMode != "" {
				ws[i].Mode = tc.dstMode
			}
		case tc.srcMode != "":
			ws[i].Mode = tc.srcMode
		}
	}
	if _, err := p.Validate(hasWorkloadIn(ws)); err != nil {
		t.Fatalf("the case's policy is invalid: %v", err)
	}
	d, err := Decide(p, ws, tc.flow)
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	wantMode := Full
	if tc.dstMode != "" {
		wantMode = tc.dstMode
	}
	if d.Verdict != tc.want || d.Reason != tc.reason || d.Mode != wantMode {
		t.Errorf("got %s by %s in mode %s, want %s by %s in mode %s", d.Verdict, d.Reason, d.Mode, tc.want, tc.reason, wantMode)
	}
	if tc.rules != nil && !reflect.DeepEqual(d.Rules, tc.rules) {
		t.Errorf("rules %v, want %v", d.Rules, tc.rules)
	}
	if d.Reason == ByDefault && len(d.Rules) != 0 {
		t.Errorf("default decision lists rules %v", d.Rules)
	}
}

// modeVerdicts is the contract of enforcement modes, written out in full
// rather than computed, so that it checks Decide instead of restating it.
var modeVerdicts = map[Mode]map[Reason]Verdict{
	Full:           {byO: B, byA: A, byD: B, byDef: B},
	Selective:      {byO: B, byA: A, byD: B, byDef: P},
	VisibilityOnly: {byO: P, byA: A, byD: P, byDef: P},
	Idle:           {byO: A, byA: A, byD: A, byDef: A},
}

// TestDecidePrecedence tries every combination of matching override_deny,
// allow and deny rules in every mode. Each present class has one matching
// rule in each of two rulesets, among decoys of every class that do not
// match, so the reported rules also check "all matching rules of the
// class, in policy order".
func TestDecidePrecedence(t *testing.T) {
	classes := []struct {
		action Action
		reason Reason
	}{{OverrideDeny, byO}, {Allow, byA}, {Deny, byD}}
	for mask := range 8 {
		names := []string{}
		for i, c := range classes {
			if mask&(1<<i) != 0 {
				names = append(names, string(c.action))
			}
		}
		if len(names) == 0 {
			names = []string{"none"}
		}
		// Expected reason: the first present class in precedence order.
		reason, idx := byDef, -1
		for i, c := range classes {
			if mask&(1<<i) != 0 {
				reason, idx = c.reason, i
				break
			}
		}
		var rulesets []Ruleset
		var want []RuleRef
		for _, rs := range []string{"first", "second"} {
			var rules []Rule
			for i, c := range classes {
				// A decoy of each class, on another port.
				rules = append(rules, rule(c.action, "role=db", "role=web", "tcp/5433"))
				if mask&(1<<i) != 0 {
					if i == idx {
						want = append(want, rr(rs, len(rules)))
					}
					rules = append(rules, rule(c.action, "role=db", "role=web", "tcp/5432"))
				}
			}
			rulesets = append(rulesets, rset(rs, nil, rules...))
		}
		if want == nil {
			want = []RuleRef{}
		}
		for mode, verdicts := range modeVerdicts {
			t.Run(strings.Join(names, "+")+"/"+string(mode), func(t *testing.T) {
				checkDecide(t, decideCase{rulesets: rulesets, flow: flow("web1", "db1", "tcp/5432"),
					dstMode: mode, want: verdicts[reason], reason: reason, rules: want})
			})
		}
	}
}

func TestDecideErrors(t *testing.T) {
	p := worldPolicy(rset("r", nil, rule(Allow, "*", "*", "any")))
	ws := worldWorkloads()
	badMode := worldWorkloads()
	badMode[3].Mode = "strict" // db1
	for _, tc := range []struct {
		name string
		ws   []Workload
		f    Flow
		want string
	}{
		{"destination unknown", ws, flow("web1", "nope", "tcp/1"), "destination workload"},
		{"source workload unknown", ws, flow("nope", "db1", "tcp/1"), "source workload"},
		{"source neither", ws, Flow{Destination: wid("db1"), Proto: ProtoTCP, Port: 1}, "neither"},
		{"source both", ws, Flow{Source: Endpoint{Workload: wid("web1"), IP: addr("10.0.0.1")}, Destination: wid("db1"), Proto: ProtoTCP}, "both"},
		{"proto any", ws, flow("web1", "db1", "any"), `protocol "any"`},
		{"proto empty", ws, Flow{Source: Endpoint{Workload: wid("web1")}, Destination: wid("db1")}, `protocol ""`},
		{"proto unknown", ws, Flow{Source: Endpoint{Workload: wid("web1")}, Destination: wid("db1"), Proto: "sctp"}, `protocol "sctp"`},
		{"port too high", ws, flow("web1", "db1", "tcp/65536"), "port 65536"},
		{"port negative", ws, Flow{Source: Endpoint{Workload: wid("web1")}, Destination: wid("db1"), Proto: ProtoUDP, Port: -1}, "port -1"},
		{"icmp type too high", ws, flow("web1", "db1", "icmp/256"), "icmp type"},
		{"unknown mode", badMode, flow("web1", "db1", "tcp/1"), `mode "strict"`},
		{"no workloads at all", nil, flow("10.0.0.1", "db1", "tcp/1"), "destination workload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Decide(p, tc.ws, tc.f)
			if err == nil {
				t.Fatalf("Decide = %+v, want an error", d)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "decide: ") {
				t.Errorf("error %q, want it to start with \"decide: \" and mention %q", err, tc.want)
			}
		})
	}
}

// Missing referenced objects match nothing, and malformed actors too:
// Decide runs on unvalidated documents without ever widening a rule.
func TestDecideDanglingReferences(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule Rule
	}{
		{"missing label", rule(Allow, "role=db", "role=ghost", "any")},
		{"missing label next to a valid one of its key", rule(Allow, "role=db", "role=web,role=ghost", "any")},
		{"missing group", rule(Allow, "role=db", "g:ghost", "any")},
		{"missing ip list", rule(Allow, "role=db", "ip:ghost", "any")},
		{"missing workload", rule(Allow, "role=db", "wl:ghost", "any")},
		{"missing service", rule(Allow, "role=db", "*", "s:ghost")},
		{"ip list as provider", rule(Allow, "ip:corp", "*", "any")},
		{"actor with two fields", Rule{Action: Allow, Providers: actors("*"),
			Consumers: []Actor{{AllWorkloads: true, Label: lbl("role=web")}}, Services: services("any")}},
		{"unknown action", rule("permit", "*", "*", "any")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := worldPolicy(rset("r", nil, tc.rule))
			d, err := Decide(p, worldWorkloads(), flow("corpvm", "db1", "tcp/5432"))
			if err != nil {
				t.Fatal(err)
			}
			if d.Reason != ByDefault || d.Verdict != Blocked {
				t.Errorf("got %s by %s, want blocked by default", d.Verdict, d.Reason)
			}
		})
	}
	// A missing scope term makes the scope match nothing.
	p := worldPolicy(rset("r", []string{"env=ghost"}, rule(Allow, "*", "*", "any")))
	if d, _ := Decide(p, worldWorkloads(), flow("web1", "db1", "tcp/1")); d.Reason != ByDefault {
		t.Errorf("scope with a missing label matched: %+v", d)
	}
}

// An IP-list consumer in an intra-scope rule of a scoped ruleset is content
// validation refuses; Decide must not let it widen the rule past the scope.
func TestDecideIntraScopeIPListMatchesNothing(t *testing.T) {
	p := worldPolicy(rset("prod", []string{"env=prod"}, rule(Allow, "role=web", "ip:corp", "tcp/80")))
	ws := worldWorkloads()
	for _, src := range []string{"192.168.1.10", "corpvm"} {
		d, err := Decide(p, ws, flow(src, "web1", "tcp/80"))
		if err != nil {
			t.Fatal(err)
		}
		if d.Reason != ByDefault {
			t.Errorf("from %s: %+v, want the default: an intra-scope IP list matches nothing", src, d)
		}
	}
	// As an extra-scope rule it applies.
	p = worldPolicy(rset("prod", []string{"env=prod"}, extra(rule(Allow, "role=web", "ip:corp", "tcp/80"))))
	if d, _ := Decide(p, ws, flow("192.168.1.10", "web1", "tcp/80")); d.Verdict != Allowed {
		t.Errorf("extra-scope IP list: %+v, want allowed", d)
	}
}
