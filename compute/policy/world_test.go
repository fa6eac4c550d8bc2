package policy

import (
	"slices"
	"testing"
)

// The world is one small tenant most tests share: a handful of labels,
// nested label groups, IP lists, services and workloads. Tests add
// rulesets and pick flows.

var worldLabels = []string{
	"role=web", "role=app", "role=db", "role=lb",
	"env=prod", "env=dev", "env=test",
	"loc=us", "loc=eu",
	"app=shop", "app=crm",
}

func worldPolicy(rulesets ...Ruleset) *Policy {
	p := &Policy{
		LabelGroups: []LabelGroup{
			group("nonprod", "env", "env=dev", "env=test"),
			group("anyenv", "env", "env=prod", "g:nonprod"), // 2 levels
			group("front", "role", "role=web", "role=lb"),
			group("midtier", "role", "role=app", "g:front"),   // 2 levels
			group("alltiers", "role", "role=db", "g:midtier"), // 3 levels
			group("emptyenv", "env"),
		},
		Services: []Service{
			{ID: svc("pg"), Name: "pg", Ports: []Port{port("tcp/5432")}},
			{ID: svc("webs"), Name: "webs", Ports: []Port{port("tcp/80"), port("tcp/443")}},
			{ID: svc("dns"), Name: "dns", Ports: []Port{port("udp/53"), port("tcp/53")}},
			{ID: svc("ping"), Name: "ping", Ports: []Port{port("icmp/8"), port("icmpv6/128")}},
			{ID: svc("all"), Name: "all", Ports: []Port{port("any")}},
		},
		IPLists: []IPList{
			{ID: ipl("corp"), Name: "corp",
				Ranges:     []string{"192.168.0.0/16", "2001:db8:c::/48"},
				Exclusions: []string{"192.168.66.0/24", "2001:db8:c:bad::/64"}},
			{ID: ipl("office"), Name: "office", Ranges: []string{"203.0.113.10-203.0.113.20"}, Exclusions: []string{}},
		},
		Rulesets: rulesets,
	}
	for _, kv := range worldLabels {
		p.Labels = append(p.Labels, label(kv))
	}
	return p
}

// worldWorkloads are full-mode unless a test says otherwise. shadowdb and
// shadowweb hold the same address, as hosts in two VPCs can.
func worldWorkloads() []Workload {
	return []Workload{
		workload("web1", "10.0.0.1", "2001:db8:1::1", "role=web", "env=prod", "loc=us", "app=shop"),
		workload("web2", "10.0.0.11", "role=web", "env=prod", "loc=eu", "app=crm"),
		workload("app1", "10.0.0.2", "role=app", "env=prod", "loc=us", "app=shop"),
		workload("db1", "10.0.0.3", "2001:db8:1::3", "role=db", "env=prod", "loc=us", "app=shop"),
		workload("webdev", "10.0.1.1", "role=web", "env=dev", "loc=eu", "app=shop"),
		workload("dbdev", "10.0.1.3", "role=db", "env=dev", "loc=eu", "app=shop"),
		workload("lbtest", "10.0.2.1", "role=lb", "env=test", "app=crm"),
		workload("corpvm", "192.168.1.10", "role=web", "env=prod", "loc=eu"),
		workload("bare", "10.0.9.9"),
		workload("shadowdb", "10.0.5.5", "role=db", "env=dev"),
		workload("shadowweb", "10.0.5.5", "role=web", "env=prod"),
	}
}

// hasWorkloadIn answers Catalog.HasWorkload for ws.
func hasWorkloadIn(ws []Workload) func(WorkloadID) bool {
	return func(id WorkloadID) bool {
		return slices.ContainsFunc(ws, func(w Workload) bool { return w.ID == id })
	}
}

// The world itself must be valid, or tests built on it prove little.
func TestWorldIsValid(t *testing.T) {
	ws := worldWorkloads()
	p := worldPolicy()
	warns, err := p.Validate(hasWorkloadIn(ws))
	if err != nil {
		t.Fatalf("world policy: %v", err)
	}
	if got, want := warnPaths(warns), []string{"label_groups[5].labels"}; !slices.Equal(got, want) {
		t.Errorf("world warnings at %v, want %v", got, want)
	}
	c := p.Catalog(nil)
	for _, w := range ws {
		if err := ValidateWorkload(&w, c); err != nil {
			t.Errorf("workload %s: %v", w.Name, err)
		}
	}
}
