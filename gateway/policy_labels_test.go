package gateway_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestPolicyDimensions: the four built-in keys, adding and removing custom
// ones, and the limit of 16.
func TestPolicyDimensions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Dims").owner

	type dim struct {
		Key     string
		Builtin bool
	}
	list := func() []dim {
		return decode[page[dim]](t, e.must(200, "GET", api("label-dimensions"), tok, nil)).Items
	}
	if got := list(); len(got) != 4 || !slices.ContainsFunc(got, func(d dim) bool { return d.Key == "role" && d.Builtin }) {
		t.Fatalf("a new tenant's dimensions: %+v", got)
	}
	d := decode[dim](t, e.must(201, "POST", api("label-dimensions"), tok, obj{"key": "team"}))
	if d.Key != "team" || d.Builtin {
		t.Fatalf("created %+v", d)
	}
	if got := list(); len(got) != 5 || got[4].Key != "team" {
		t.Fatalf("after adding team: %+v", got)
	}

	wantProblem(t, e.call("POST", api("label-dimensions"), tok, obj{"key": "team"}), 409, "key")
	for _, bad := range []string{"", "Team", "9lives", "a b", strings.Repeat("k", 33)} {
		wantProblem(t, e.call("POST", api("label-dimensions"), tok, obj{"key": bad}), 422, "key")
	}
	wantProblem(t, e.call("DELETE", api("label-dimensions", "role"), tok, nil), 409, "")
	wantProblem(t, e.call("DELETE", api("label-dimensions", "nothing"), tok, nil), 404, "")

	// A key with labels stays until they go.
	id := e.label(tok, "team", "blue")
	wantProblem(t, e.call("DELETE", api("label-dimensions", "team"), tok, nil), 409, "")
	e.must(204, "DELETE", api("labels", id), tok, nil)
	e.must(204, "DELETE", api("label-dimensions", "team"), tok, nil)
	if got := list(); len(got) != 4 {
		t.Fatalf("after deleting team: %+v", got)
	}

	// 16 keys at most, the built-in ones included.
	for i := range 12 {
		e.must(201, "POST", api("label-dimensions"), tok, obj{"key": fmt.Sprintf("k%d", i)})
	}
	wantProblem(t, e.call("POST", api("label-dimensions"), tok, obj{"key": "seventeenth"}), 422, "key")
	if got := list(); len(got) != 16 {
		t.Fatalf("%d dimensions, want 16", len(got))
	}
}

// TestPolicyLabels: create, read, list, rename, delete over HTTP, with ETags.
func TestPolicyLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Labels").owner

	r := e.must(201, "POST", api("labels"), tok, obj{"key": "role", "value": "web"})
	tag := etagOf(t, r)
	l := decode[labelOut](t, r)
	if l.ID == "" || l.Key != "role" || l.Value != "web" || l.CreatedAt.IsZero() || l.UpdatedAt.IsZero() {
		t.Fatalf("created %+v", l)
	}
	r = e.must(200, "GET", api("labels", l.ID), tok, nil)
	if got := decode[labelOut](t, r); got != l {
		t.Fatalf("read back %+v, want %+v", got, l)
	}
	if etagOf(t, r) != tag {
		t.Fatalf("GET ETag %s, POST gave %s", r.header.Get("ETag"), tag)
	}

	db := e.label(tok, "role", "db")
	shop := e.label(tok, "app", "shop")
	sameIDs(t, "labels", pageIDs(t, e.must(200, "GET", api("labels"), tok, nil)), []string{l.ID, db, shop})
	sameIDs(t, "role labels", pageIDs(t, e.must(200, "GET", api("labels?key=role"), tok, nil)), []string{l.ID, db})
	sameIDs(t, "env labels", pageIDs(t, e.must(200, "GET", api("labels?key=env"), tok, nil)), nil)
	// Pages of one label each cover every label once.
	p := decode[page[idOnly]](t, e.must(200, "GET", api("labels?limit=2"), tok, nil))
	if len(p.Items) != 2 || p.NextCursor == nil {
		t.Fatalf("first page of 2: %+v", p)
	}
	p2 := decode[page[idOnly]](t, e.must(200, "GET", api("labels?limit=2&cursor="+*p.NextCursor), tok, nil))
	if len(p2.Items) != 1 || p2.NextCursor != nil || p2.Items[0].ID != shop {
		t.Fatalf("second page: %+v", p2)
	}

	// Rename: the value changes, the key cannot.
	r = e.must(200, "PUT", api("labels", l.ID), tok, obj{"key": "role", "value": "frontend"})
	if got := decode[labelOut](t, r); got.Value != "frontend" || got.ID != l.ID || got.UpdatedAt.Before(l.UpdatedAt) {
		t.Fatalf("renamed %+v", got)
	}
	if etagOf(t, r) == tag {
		t.Fatalf("ETag %s did not change on update", tag)
	}
	wantProblem(t, e.call("PUT", api("labels", l.ID), tok, obj{"key": "app", "value": "frontend"}), 422, "key")
	wantProblem(t, e.call("PUT", api("labels", l.ID), tok, obj{"key": "role", "value": "db"}), 409, "value")
	wantProblem(t, e.call("POST", api("labels"), tok, obj{"key": "role", "value": "db"}), 409, "value")

	e.must(204, "DELETE", api("labels", l.ID), tok, nil)
	for _, m := range []string{"GET", "DELETE"} {
		wantProblem(t, e.call(m, api("labels", l.ID), tok, nil), 404, "")
	}
	wantProblem(t, e.call("PUT", api("labels", l.ID), tok, obj{"key": "role", "value": "x"}), 404, "")
	wantProblem(t, e.call("GET", api("labels", "not-a-uuid"), tok, nil), 404, "")
}

// TestPolicyLabelsInvalid: each invalid field is a 422 naming it, and
// nothing is written.
func TestPolicyLabelsInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Label values").owner
	id := e.label(tok, "role", "web")

	rows := []struct {
		name   string
		method string
		path   string
		body   obj
		field  string
	}{
		{"no key", "POST", api("labels"), obj{"key": "", "value": "x"}, "key"},
		{"unknown key", "POST", api("labels"), obj{"key": "colour", "value": "x"}, "key"},
		{"no value", "POST", api("labels"), obj{"key": "role", "value": ""}, "value"},
		{"value with =", "POST", api("labels"), obj{"key": "role", "value": "a=b"}, "value"},
		{"value with comma", "POST", api("labels"), obj{"key": "role", "value": "a,b"}, "value"},
		{"value too long", "POST", api("labels"), obj{"key": "role", "value": strings.Repeat("v", 65)}, "value"},
		{"value with spaces around", "POST", api("labels"), obj{"key": "role", "value": " web "}, "value"},
		{"value with control", "POST", api("labels"), obj{"key": "role", "value": "a\x07b"}, "value"},
		{"missing fields", "POST", api("labels"), obj{}, "key"},
		{"update: key changes", "PUT", api("labels", id), obj{"key": "app", "value": "web"}, "key"},
		{"update: no value", "PUT", api("labels", id), obj{"key": "role", "value": ""}, "value"},
		{"list: bad limit", "GET", api("labels?limit=0"), nil, "limit"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			status := 422
			if row.method == "GET" {
				status = 400
			}
			var body any
			if row.body != nil {
				body = row.body
			}
			wantProblem(t, e.on(t).call(row.method, row.path, tok, body), status, row.field)
		})
	}
	t.Cleanup(func() {
		if got := pageIDs(t, e.must(200, "GET", api("labels"), tok, nil)); !slices.Equal(got, []string{id}) {
			t.Errorf("bad input changed the labels: %v", got)
		}
		if v := decode[labelOut](t, e.must(200, "GET", api("labels", id), tok, nil)).Value; v != "web" {
			t.Errorf("bad input renamed the label to %q", v)
		}
	})
}

// TestPolicyLabelInUse: a label that a workload, a draft object or the
// active version uses cannot be deleted; the 409 lists each user as an
// errors[] entry with field "used_by".
func TestPolicyLabelInUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("In use").owner

	web := e.label(tok, "role", "web")
	w := e.workload(tok, "web-1", "", "", web)
	g := e.create(tok, "label-groups", groupBody("frontends", "role", web))
	e.provision(tok, "the group")
	rs := e.create(tok, "rulesets", rulesetBody("web", arr{}, rule("allow", actors(lbl(web)), actors(obj{"all_workloads": true}), services(tcp(443)))))
	e.must(204, "DELETE", api("label-groups", g), tok, nil) // gone from the draft, still active

	r := e.call("DELETE", api("labels", web), tok, nil)
	wantProblem(t, r, 409, "used_by")
	got := messagesOf(t, r, "used_by")
	want := []string{
		fmt.Sprintf(`workload "web-1" (%s)`, w),
		fmt.Sprintf(`draft ruleset "web" (%s)`, rs),
		fmt.Sprintf(`label group "frontends" (%s)`, g),
	}
	if len(got) != len(want) {
		t.Fatalf("used_by %q, want one entry for each of %q", got, want)
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(m string) bool { return strings.Contains(m, w) }) {
			t.Errorf("used_by %q lacks %q", got, w)
		}
	}
	if !strings.HasPrefix(got[2], "version 1 ") && !strings.HasPrefix(got[2], "active ") {
		t.Errorf("the active user %q does not say where it is", got[2])
	}

	// Each user let go in turn; the label goes with the last.
	e.must(204, "DELETE", api("workloads", w), tok, nil)
	e.must(204, "DELETE", api("rulesets", rs), tok, nil)
	wantProblem(t, e.call("DELETE", api("labels", web), tok, nil), 409, "used_by")
	e.provision(tok, "drop the group")
	e.must(204, "DELETE", api("labels", web), tok, nil)
}
