package gateway_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// byID indexes a document's objects of one kind as canonical JSON.
func byID(t *testing.T, objs []obj) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range objs {
		j, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		out[o["id"].(string)] = string(j)
	}
	return out
}

func (e *env) export(tok, query string) document {
	e.t.Helper()
	return decode[document](e.t, e.must(200, "GET", api("policy", "export")+query, tok, nil))
}

func (e *env) importDoc(tok, query string, doc any) importOut {
	e.t.Helper()
	return decode[importOut](e.t, e.must(200, "POST", api("policy", "import")+query, tok, doc))
}

// TestPolicyExportImport: export a version, change the document, import it
// as a dry run (nothing written) and for real; export round-trips.
func TestPolicyExportImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Transfer").owner
	fx := e.world(tok)
	e.provision(tok, "v1")

	doc := e.export(tok, "")
	for _, q := range []string{"?version=active", "?version=1"} {
		if got := e.export(tok, q); !slices.Equal(sortedKeys(byID(t, got.Rulesets)), sortedKeys(byID(t, doc.Rulesets))) {
			t.Fatalf("export%s differs from the draft export", q)
		}
	}
	if len(doc.Services) != 1 || len(doc.Rulesets) != 1 || len(doc.LabelGroups) != 0 || len(doc.IPLists) != 0 {
		t.Fatalf("exported %+v", doc)
	}
	// Labels: exactly those the objects use (env=prod is only on workloads).
	var labels []string
	for _, l := range doc.Labels {
		labels = append(labels, l["id"].(string))
	}
	sameIDs(t, "exported labels", labels, []string{fx.web, fx.db, fx.shop})
	wantProblem(t, e.call("GET", api("policy", "export?version=2"), tok, nil), 404, "")
	wantProblem(t, e.call("GET", api("policy", "export?version=latest"), tok, nil), 422, "version")

	// The change: a new label (of a new key), a group of it, a service,
	// and an edited ruleset.
	staging, group, https := newID(), newID(), newID()
	changed := doc
	changed.Labels = append(slices.Clone(doc.Labels), obj{"id": staging, "key": "stage", "value": "staging"})
	changed.LabelGroups = []obj{{"id": group, "name": "stages", "key": "stage", "labels": arr{staging}, "groups": arr{}}}
	changed.Services = append(slices.Clone(doc.Services), obj{"id": https, "name": "https", "ports": arr{tcp(443)}})
	rs := obj{}
	for k, v := range doc.Rulesets[0] {
		rs[k] = v
	}
	rs["description"] = "imported"
	changed.Rulesets = []obj{rs}

	dry := e.importDoc(tok, "?dry_run=true", changed)
	wantChanges := func(what string, got importOut, dryRun bool) {
		t.Helper()
		if got.DryRun != dryRun || len(got.LabelsCreated) != 1 || got.LabelsCreated[0].ID != staging || got.LabelsCreated[0].Key != "stage" ||
			!slices.Equal(refNames(got.Changes.Added), []string{"label_group:stages", "service:https"}) ||
			!slices.Equal(refNames(got.Changes.Changed), []string{"ruleset:shop"}) || len(got.Changes.Removed) != 0 {
			t.Fatalf("%s: %+v", what, got)
		}
	}
	wantChanges("dry run", dry, true)
	// Nothing written: no label, no key, no draft change.
	wantProblem(t, e.call("GET", api("labels", staging), tok, nil), 404, "")
	if d := e.diff(tok, ""); len(d.Added)+len(d.Changed)+len(d.Removed) != 0 {
		t.Fatalf("a dry run changed the draft: %+v", d)
	}
	if n := len(decode[page[obj]](t, e.must(200, "GET", api("label-dimensions"), tok, nil)).Items); n != 4 {
		t.Fatalf("a dry run added a label key: %d keys", n)
	}

	wantChanges("import", e.importDoc(tok, "", changed), false)
	if l := decode[labelOut](t, e.must(200, "GET", api("labels", staging), tok, nil)); l.Key != "stage" || l.Value != "staging" {
		t.Fatalf("imported label: %+v", l)
	}
	d := e.diff(tok, "")
	if !slices.Equal(refNames(d.Added), []string{"label_group:stages", "service:https"}) || !slices.Equal(refNames(d.Changed), []string{"ruleset:shop"}) {
		t.Fatalf("diff after import: %+v", d)
	}
	if got := decode[struct{ Description string }](t, e.must(200, "GET", api("rulesets", fx.ruleset), tok, nil)); got.Description != "imported" {
		t.Fatalf("imported ruleset: %+v", got)
	}
	// Nothing was provisioned.
	wantProblem(t, e.call("GET", api("services", https+"?version=active"), tok, nil), 404, "")

	// Round trip: the draft exports as imported, and importing that export
	// changes nothing.
	back := e.export(tok, "?version=draft")
	for kind, pair := range map[string][2][]obj{
		"label groups": {back.LabelGroups, changed.LabelGroups}, "services": {back.Services, changed.Services},
		"ip lists": {back.IPLists, changed.IPLists}, "rulesets": {back.Rulesets, changed.Rulesets},
	} {
		got, want := byID(t, pair[0]), byID(t, pair[1])
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s %s: exported %s, imported %s", kind, id, got[id], w)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: exported %d, imported %d", kind, len(got), len(want))
		}
	}
	again := e.importDoc(tok, "", back)
	if len(again.LabelsCreated)+len(again.Changes.Added)+len(again.Changes.Changed)+len(again.Changes.Removed) != 0 {
		t.Fatalf("re-importing the export changed something: %+v", again)
	}

	// An import replaces the whole draft: what the document lacks goes.
	less := back
	less.LabelGroups = []obj{}
	gone := e.importDoc(tok, "?dry_run=false", less)
	if !slices.Equal(refNames(gone.Changes.Removed), []string{"label_group:stages"}) || len(gone.Changes.Added)+len(gone.Changes.Changed) != 0 {
		t.Fatalf("import without the group: %+v", gone)
	}
	wantProblem(t, e.call("GET", api("label-groups", group), tok, nil), 404, "")
}

// TestPolicyImportInvalid: a bad document is refused whole with the JSON
// path of each culprit, and writes nothing.
func TestPolicyImportInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Import values").owner
	fx := e.world(tok)
	base := e.export(tok, "?version=draft")
	missing := newID()

	mutate := func(f func(d *document)) document {
		var d document
		j, _ := json.Marshal(base)
		json.Unmarshal(j, &d)
		f(&d)
		return d
	}
	rows := []struct {
		name  string
		query string
		doc   any
		field string
	}{
		{"existing key=value under a new id", "", mutate(func(d *document) {
			d.Labels = append(d.Labels, obj{"id": newID(), "key": "env", "value": "prod"})
		}), fmt.Sprintf("labels[%d].value", len(base.Labels))},
		{"label renamed", "", mutate(func(d *document) { d.Labels[0]["value"] = "renamed" }), "labels[0]"},
		{"label without an id", "", mutate(func(d *document) { d.Labels[0]["id"] = "" }), "labels[0].id"},
		{"missing provider label", "", mutate(func(d *document) {
			d.Rulesets[0]["rules"].([]any)[0].(map[string]any)["providers"] = arr{lbl(missing)}
		}), "rulesets[0].rules[0].providers[0].label"},
		{"unknown workload", "", mutate(func(d *document) {
			d.Rulesets[0]["rules"].([]any)[0].(map[string]any)["providers"] = arr{wl(missing)}
		}), "rulesets[0].rules[0].providers[0].workload"},
		{"object without an id", "", mutate(func(d *document) { d.Services[0]["id"] = "" }), "services[0].id"},
		{"two services of one name", "", mutate(func(d *document) {
			d.Services = append(d.Services, obj{"id": newID(), "name": "POSTGRES", "ports": arr{tcp(1)}})
		}), "services[1].name"},
		{"bad port", "", mutate(func(d *document) { d.Services[0]["ports"] = arr{obj{"proto": "tcp", "port": 99999}} }), "services[0].ports[0].port"},
		{"bad dry_run", "?dry_run=maybe", base, "dry_run"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			wantProblem(t, e.on(t).call("POST", api("policy", "import")+row.query, tok, row.doc), 422, row.field)
		})
	}
	t.Cleanup(func() {
		after := e.export(tok, "?version=draft")
		if !slices.Equal(sortedKeys(byID(t, after.Services)), []string{fx.pg}) || len(after.Rulesets) != 1 || len(after.Labels) != len(base.Labels) {
			t.Errorf("a refused import changed the draft: %+v", after)
		}
	})
}

// TestPolicyImportLarge: a policy document may be up to 8 MiB, well over
// the 1 MiB of other requests; beyond, 413.
func TestPolicyImportLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Large").owner

	// 24 IP lists of 4096 addresses each: about 1.3 MB of JSON.
	doc := document{Labels: []obj{}, LabelGroups: []obj{}, Services: []obj{}, Rulesets: []obj{}}
	for i := range 24 {
		ranges := make(arr, 4096)
		for j := range ranges {
			ranges[j] = fmt.Sprintf("10.%d.%d.%d", i, j/256, j%256)
		}
		doc.IPLists = append(doc.IPLists, obj{"id": newID(), "name": fmt.Sprintf("list-%02d", i), "ranges": ranges, "exclusions": arr{}})
	}
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(body); n <= 1<<20 || n >= 8<<20 {
		t.Fatalf("document of %d bytes, want between 1 and 8 MiB", n)
	}
	got := e.importDoc(tok, "", raw(body))
	if len(got.Changes.Added) != 24 {
		t.Fatalf("imported %d objects, want 24", len(got.Changes.Added))
	}
	if d := e.diff(tok, ""); len(d.Added) != 24 {
		t.Fatalf("draft after a large import: %d added", len(d.Added))
	}

	huge := raw(`{"labels":[]` + strings.Repeat(" ", 8<<20) + `}`)
	wantProblem(t, e.call("POST", api("policy", "import"), tok, huge), 413, "body")
	// Other requests keep the 1 MiB limit.
	wantProblem(t, e.call("POST", api("ip-lists"), tok, raw(body)), 413, "body")
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
