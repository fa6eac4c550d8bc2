package policystore_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

// as is e acting for another tenant of the same database.
func (e *env) as(tenant ids.TenantID, user ids.UserID) *env {
	o := *e
	o.tenant, o.user = tenant, user
	return &o
}

func (e *env) dimensions() []string {
	e.t.Helper()
	ds, err := e.store.ListDimensions(e.ctx, e.tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.Key)
	}
	return out
}

func sortLabels(ls []policy.Label) {
	slices.SortFunc(ls, func(a, b policy.Label) int { return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Value, b.Value)) })
}

func TestExportImportIntoAnotherTenant(t *testing.T) {
	t.Parallel()
	a := newEnv(t)
	if _, err := a.store.CreateDimension(a.ctx, a.tenant, "tier"); err != nil {
		t.Fatal(err)
	}
	w := newWorld(a)
	gold := a.label("tier", "gold")
	a.label("role", "unused")
	var services []policy.ServiceID
	for i := range 8 {
		services = append(services, a.service(fmt.Sprintf("svc-%d", 7-i), 8000+i))
	}
	golds := a.group("golds", "tier", gold)
	a.ipList("partners", "198.51.100.0/24", "2001:db8::/32")
	a.ruleset(policy.Ruleset{Name: "gold", Scopes: []policy.Scope{{{LabelGroup: golds}}}, Rules: []policy.Rule{
		{Action: policy.Deny, Providers: actors(byLabel(w.db)), Consumers: actors(policy.Actor{AllWorkloads: true}), Services: []policy.ServiceRef{named(services[3]), tcp(22)}},
		{Action: policy.Allow, Providers: actors(byLabel(w.db)), Consumers: actors(byLabel(w.web)), Services: []policy.ServiceRef{named(services[5])}, UnscopedConsumers: true},
	}})
	a.provision("half", key(policy.KindService, services[0]), key(policy.KindService, services[1]))
	doc := a.export(policystore.Draft)

	b := a.as(a.signup())
	res, err := b.store.Import(b.ctx, b.tenant, a.export(policystore.Draft), false)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "labels created", res.LabelsCreated, doc.Labels)
	if res.DryRun || res.Changes.Len() != len(doc.LabelGroups)+len(doc.Services)+len(doc.IPLists)+len(doc.Rulesets) || len(res.Changes.Added) != res.Changes.Len() {
		t.Errorf("import result %+v, want every object added", res)
	}
	same(t, "export of the copy", b.export(policystore.Draft), doc)
	if !slices.Contains(b.dimensions(), "tier") {
		t.Errorf("dimensions %v lack tier", b.dimensions())
	}
	same(t, "the copy's labels", len(b.labels()), len(doc.Labels))

	// Provisioned there, the copy decides as the original's draft would.
	b.provision("copied")
	same(t, "export of the copy's version 1", b.export(policystore.Active), doc)
	same(t, "original unchanged", a.export(policystore.Draft), doc)
}

func TestImportDryRunThenImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	doc := e.export(policystore.Draft)

	cache, eu := policy.Label{ID: policy.LabelID(newID()), Key: "role", Value: "cache"}, policy.Label{ID: policy.LabelID(newID()), Key: "zone", Value: "eu"}
	doc.Labels = append(doc.Labels, cache, eu)
	sortLabels(doc.Labels)
	doc.Services[0].Ports[0].Port = 6432 // postgres changes
	web2, web := policy.Service{ID: policy.ServiceID(newID()), Name: "web-2", Ports: []policy.Port{{Proto: policy.ProtoTCP, Port: 8443}}},
		policy.Service{ID: policy.ServiceID(newID()), Name: "web", Ports: []policy.Port{{Proto: policy.ProtoTCP, Port: 443}}}
	doc.Services = append(doc.Services, web2, web)
	toCache := allowRS("to-cache", actors(byLabel(cache.ID)), actors(byLabel(w.web)), named(web.ID), named(web2.ID))
	toCache.ID, toCache.Scopes = policy.RulesetID(newID()), []policy.Scope{scope(eu.ID)}
	doc.Rulesets = slices.DeleteFunc(doc.Rulesets, func(rs policy.Ruleset) bool { return rs.ID == w.toWeb })
	doc.Rulesets = append(doc.Rulesets, toCache)

	want := changes(
		refs(ref(policy.KindRuleset, toCache.ID, "to-cache"), ref(policy.KindService, web.ID, "web"), ref(policy.KindService, web2.ID, "web-2")),
		refs(ref(policy.KindService, w.pg, "postgres")),
		refs(ref(policy.KindRuleset, w.toWeb, "to-web")))
	before, labels, dims := e.view(policystore.Draft, w.flows...), e.labels(), e.dimensions()

	dry, err := e.store.Import(e.ctx, e.tenant, doc, true)
	if err != nil {
		t.Fatal(err)
	}
	if !dry.DryRun {
		t.Error("dry run result without DryRun")
	}
	same(t, "dry run changes", dry.Changes, want)
	same(t, "dry run labels", dry.LabelsCreated, []policy.Label{cache, eu})
	same(t, "draft after a dry run", e.view(policystore.Draft, w.flows...), before)
	same(t, "labels after a dry run", e.labels(), labels)
	same(t, "dimensions after a dry run", e.dimensions(), dims)

	res, err := e.store.Import(e.ctx, e.tenant, doc, false)
	if err != nil {
		t.Fatal(err)
	}
	dry.DryRun = false
	same(t, "import result", res, dry)
	same(t, "pending after import", e.diff(policystore.Active, policystore.Draft).Changes, want)
	same(t, "draft after import", e.export(policystore.Draft), doc)
	same(t, "dimensions after import", e.dimensions(), append(dims, "zone"))
	same(t, "active after import", e.view(policystore.Active, w.flows...), before)

	again, err := e.store.Import(e.ctx, e.tenant, doc, false)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "second import", again.Changes, changes(nil, nil, nil))
}

func TestImportInvalidWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	e.service("draft only", 7)
	before, labels, dims := e.view(policystore.Draft, w.flows...), e.labels(), e.dimensions()

	// base is a valid document that would change a lot: a new label of a
	// new key, a new service, the draft-only service gone.
	base := func() *policy.Policy {
		doc := e.export(policystore.Active)
		doc.Labels = append(doc.Labels, policy.Label{ID: policy.LabelID(newID()), Key: "zone", Value: "eu"})
		doc.Services = append(doc.Services, policy.Service{ID: policy.ServiceID(newID()), Name: "new", Ports: []policy.Port{{Proto: policy.ProtoUDP, Port: 53}}})
		return doc
	}
	if _, err := e.store.Import(e.ctx, e.tenant, base(), true); err != nil {
		t.Fatalf("the base document is refused: %v", err)
	}
	idx := func(doc *policy.Policy, id policy.LabelID) int {
		return slices.IndexFunc(doc.Labels, func(l policy.Label) bool { return l.ID == id })
	}
	for _, tc := range []struct {
		name string
		edit func(*policy.Policy) []string // returns the bad fields
		kind usererr.Kind
	}{
		{"bad port", func(doc *policy.Policy) []string {
			doc.Services[1].Ports[0].Port = 70000
			return []string{"services[1].ports[0].port"}
		}, usererr.Invalid},
		{"label id with another value", func(doc *policy.Policy) []string {
			i := idx(doc, w.web)
			doc.Labels[i].Value = "frontend"
			return []string{fmt.Sprintf("labels[%d]", i)}
		}, usererr.Invalid},
		{"label id with another key", func(doc *policy.Policy) []string {
			i := idx(doc, w.db)
			doc.Labels[i].Key = "app"
			return []string{fmt.Sprintf("labels[%d]", i)}
		}, usererr.Invalid},
		{"existing key=value under a new id", func(doc *policy.Policy) []string {
			doc.Labels = append(doc.Labels, policy.Label{ID: policy.LabelID(newID()), Key: "role", Value: "db"})
			return []string{fmt.Sprintf("labels[%d].value", len(doc.Labels)-1)}
		}, usererr.Invalid},
		{"missing label", func(doc *policy.Policy) []string {
			i := idx(doc, w.db)
			doc.Labels = slices.Delete(doc.Labels, i, i+1)
			return []string{"rulesets[0].rules[0].providers[0].label", "rulesets[1].rules[0].consumers[0].label"}
		}, usererr.Invalid},
		{"names differing in case", func(doc *policy.Policy) []string {
			doc.Services[1].Name = "POSTGRES"
			return []string{"services[1].name"}
		}, usererr.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := base()
			fields := tc.edit(doc)
			for _, dry := range []bool{true, false} {
				_, err := e.store.Import(e.ctx, e.tenant, doc, dry)
				wantErr(t, err, tc.kind, fields...)
			}
			same(t, "draft", e.view(policystore.Draft, w.flows...), before)
			same(t, "labels", e.labels(), labels)
			same(t, "dimensions", e.dimensions(), dims)
		})
	}
}

func TestImportReplacesDraft(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	extra := e.service("extra", 1)

	// Keep only postgres and the office list, their names swapped.
	doc := e.export(policystore.Draft)
	doc.LabelGroups, doc.Rulesets = nil, nil
	doc.Services = slices.DeleteFunc(doc.Services, func(s policy.Service) bool { return s.ID != w.pg })
	doc.Services[0].Name = "office"
	doc.IPLists[0].Name = "postgres"
	res, err := e.store.Import(e.ctx, e.tenant, doc, false)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "changes", res.Changes, changes(nil,
		refs(ref(policy.KindIPList, w.office, "postgres"), ref(policy.KindService, w.pg, "office")),
		refs(ref(policy.KindLabelGroup, w.webs, "webs"), ref(policy.KindRuleset, w.toDB, "to-db"), ref(policy.KindRuleset, w.toWeb, "to-web"),
			ref(policy.KindService, extra, "extra"))))
	got := e.export(policystore.Draft)
	if len(got.LabelGroups)+len(got.Rulesets) != 0 || len(got.Services) != 1 || len(got.IPLists) != 1 {
		t.Errorf("draft after import: %+v", got)
	}
	same(t, "services", got.Services, doc.Services)

	res, err = e.store.Import(e.ctx, e.tenant, &policy.Policy{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes.Removed) != 2 || res.Changes.Len() != 2 {
		t.Errorf("import of an empty document: %+v", res.Changes)
	}
	same(t, "empty draft", e.view(policystore.Draft).ETags, map[policystore.ObjectKey]string{})
	if n := len(e.labels()); n != 3 {
		t.Errorf("import removed labels: %d left", n)
	}
}
