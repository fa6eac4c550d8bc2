package policy

import (
	"maps"
	"reflect"
	"slices"
	"testing"
)

func TestCatalog(t *testing.T) {
	p := worldPolicy()
	// A duplicate id: the first object wins.
	p.Services = append(p.Services, Service{ID: svc("pg"), Name: "shadow"})
	c := p.Catalog(nil)
	if l, ok := c.Label(lbl("env=prod")); !ok || l.Key != "env" || l.Value != "prod" {
		t.Errorf("Label(env=prod) = %+v, %v", l, ok)
	}
	if _, ok := c.Label(lbl("env=ghost")); ok {
		t.Error("Label(env=ghost) found")
	}
	if g, ok := c.LabelGroup(grp("midtier")); !ok || g.Name != "midtier" {
		t.Errorf("LabelGroup(midtier) = %+v, %v", g, ok)
	}
	if _, ok := c.LabelGroup(grp("ghost")); ok {
		t.Error("LabelGroup(ghost) found")
	}
	if !c.HasService(svc("pg")) || c.HasService(svc("ghost")) {
		t.Error("HasService wrong")
	}
	if !c.HasIPList(ipl("corp")) || c.HasIPList(ipl("ghost")) {
		t.Error("HasIPList wrong")
	}
	if !c.HasWorkload(wid("anything")) {
		t.Error("nil hasWorkload: every workload should exist")
	}
	c = p.Catalog(hasWorkloadIn(worldWorkloads()))
	if !c.HasWorkload(wid("web1")) || c.HasWorkload(wid("ghost")) {
		t.Error("HasWorkload does not follow hasWorkload")
	}
	if got := p.index(nil).services[svc("pg")].Name; got != "pg" {
		t.Errorf("duplicate id: got service %q, want the first", got)
	}
}

func TestRefs(t *testing.T) {
	g := group("g", "env", "env=prod", "g:nonprod", "env=dev", "env=prod", "g:nonprod")
	if got, want := g.Refs(), []Ref{
		{RefLabel, string(lbl("env=prod"))},
		{RefLabel, string(lbl("env=dev"))},
		{RefLabelGroup, string(grp("nonprod"))},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("LabelGroup.Refs() = %v, want %v", got, want)
	}
	if got := (&LabelGroup{}).Refs(); len(got) != 0 {
		t.Errorf("empty group Refs() = %v", got)
	}

	rs := rset("r", []string{"env=prod,g:front", "env=prod"},
		rule(Allow, "role=db,g:front", "*,ip:corp,wl:web1,role=db", "s:pg,tcp/80"),
		rule(Deny, "wl:db1", "env=prod,g:midtier", "s:webs,s:pg"),
	)
	want := []Ref{
		{RefLabel, string(lbl("env=prod"))},
		{RefLabelGroup, string(grp("front"))},
		{RefLabel, string(lbl("role=db"))},
		{RefIPList, string(ipl("corp"))},
		{RefWorkload, string(wid("web1"))},
		{RefService, string(svc("pg"))},
		{RefWorkload, string(wid("db1"))},
		{RefLabelGroup, string(grp("midtier"))},
		{RefService, string(svc("webs"))},
	}
	if got := rs.Refs(); !reflect.DeepEqual(got, want) {
		t.Errorf("Ruleset.Refs() =\n%v\nwant\n%v", got, want)
	}
}

func TestExpandGroup(t *testing.T) {
	p := worldPolicy()
	// A cycle (which validation refuses) and a dangling member.
	p.LabelGroups = append(p.LabelGroups,
		group("c1", "loc", "loc=us", "g:c2"),
		group("c2", "loc", "loc=eu", "g:c1", "g:ghost"),
		group("self", "loc", "g:self"),
	)
	c := p.Catalog(nil)
	for _, tc := range []struct {
		group string
		want  []string
	}{
		{"nonprod", []string{"env=dev", "env=test"}},
		{"anyenv", []string{"env=prod", "env=dev", "env=test"}},
		{"alltiers", []string{"role=db", "role=app", "role=web", "role=lb"}},
		{"emptyenv", nil},
		{"ghost", nil},
		{"c1", []string{"loc=us", "loc=eu"}},
		{"c2", []string{"loc=us", "loc=eu"}},
		{"self", nil},
	} {
		want := map[LabelID]bool{}
		for _, kv := range tc.want {
			want[lbl(kv)] = true
		}
		got := ExpandGroup(c, grp(tc.group))
		if got == nil || !maps.Equal(got, want) {
			t.Errorf("ExpandGroup(%s) = %v, want %v", tc.group, slices.Collect(maps.Keys(got)), tc.want)
		}
	}
}
