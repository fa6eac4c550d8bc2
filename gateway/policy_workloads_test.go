package gateway_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestPolicyWorkloads: create, read, list by label, replace and delete a
// workload over HTTP; defaults, ETags, and the bulk routes.
func TestPolicyWorkloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Workloads").owner
	web, db, prod := e.label(tok, "role", "web"), e.label(tok, "role", "db"), e.label(tok, "env", "prod")

	// Defaults: visibility_only, unmanaged, empty lists rather than null.
	r := e.must(201, "POST", api("workloads"), tok, obj{"name": "bare"})
	bare := decode[workloadOut](t, r)
	etagOf(t, r)
	if bare.Mode != "visibility_only" || bare.Managed || bare.Interfaces == nil || bare.Labels == nil || bare.Hostname != "" {
		t.Fatalf("defaults: %+v", bare)
	}

	body := obj{"name": "web-1", "hostname": "web-1.example.com", "enforcement_mode": "full", "labels": arr{web, prod},
		"interfaces": arr{obj{"name": "eth0", "addresses": arr{"10.0.0.1", "fd00::1"}}}}
	r = e.must(201, "POST", api("workloads"), tok, body)
	tag := etagOf(t, r)
	w := decode[workloadOut](t, r)
	if w.Name != "web-1" || w.Hostname != "web-1.example.com" || w.Mode != "full" || len(w.Interfaces) != 1 ||
		!slices.Equal(w.Interfaces[0].Addresses, []string{"10.0.0.1", "fd00::1"}) || w.CreatedAt.IsZero() {
		t.Fatalf("created %+v", w)
	}
	sameIDs(t, "labels", w.Labels, []string{web, prod})
	r = e.must(200, "GET", api("workloads", w.ID), tok, nil)
	if etagOf(t, r) != tag {
		t.Fatalf("GET ETag %s, POST gave %s", r.header.Get("ETag"), tag)
	}
	got := decode[workloadOut](t, r)
	if got.Name != w.Name || got.Mode != w.Mode || !slices.Equal(got.Labels, w.Labels) {
		t.Fatalf("read back %+v, want %+v", got, w)
	}

	sameIDs(t, "all", pageIDs(t, e.must(200, "GET", api("workloads"), tok, nil)), []string{bare.ID, w.ID})
	sameIDs(t, "env=prod", pageIDs(t, e.must(200, "GET", api("workloads?label="+prod), tok, nil)), []string{w.ID})
	sameIDs(t, "role=db", pageIDs(t, e.must(200, "GET", api("workloads?label="+db), tok, nil)), nil)
	wantProblem(t, e.call("GET", api("workloads?label=prod"), tok, nil), 422, "label")

	// PUT replaces: absent fields take their defaults again.
	r = e.must(200, "PUT", api("workloads", w.ID), tok, obj{"name": "db-1", "labels": arr{db}})
	if etagOf(t, r) == tag {
		t.Fatal("ETag did not change on update")
	}
	got = decode[workloadOut](t, r)
	if got.ID != w.ID || got.Name != "db-1" || got.Mode != "visibility_only" || got.Hostname != "" || len(got.Interfaces) != 0 ||
		!slices.Equal(got.Labels, []string{db}) || !got.CreatedAt.Equal(w.CreatedAt) || got.UpdatedAt.Before(w.UpdatedAt) {
		t.Fatalf("replaced %+v", got)
	}
	sameIDs(t, "role=db", pageIDs(t, e.must(200, "GET", api("workloads?label="+db), tok, nil)), []string{w.ID})
	// What a client cannot set is refused, not ignored.
	wantProblem(t, e.call("POST", api("workloads"), tok, obj{"name": "x", "managed": true}), 400, "managed")
	wantProblem(t, e.call("PUT", api("workloads", w.ID), tok, obj{"name": "x", "id": w.ID}), 400, "id")

	e.must(204, "DELETE", api("workloads", w.ID), tok, nil)
	for _, m := range []string{"GET", "DELETE"} {
		wantProblem(t, e.call(m, api("workloads", w.ID), tok, nil), 404, "")
	}
	wantProblem(t, e.call("PUT", api("workloads", w.ID), tok, obj{"name": "x"}), 404, "")
	wantProblem(t, e.call("GET", api("workloads", "web-1"), tok, nil), 404, "")

	// Bulk: created, replaced and deleted in request order, all at once.
	items := arr{}
	for i := range 3 {
		items = append(items, workloadBody(fmt.Sprintf("bulk-%d", i), "selective", fmt.Sprintf("10.1.0.%d", i+1), web))
	}
	created := decode[page[workloadOut]](t, e.must(201, "POST", api("workloads", "bulk-create"), tok, obj{"items": items})).Items
	if len(created) != 3 {
		t.Fatalf("bulk-created %d", len(created))
	}
	var bulk []string
	for i, c := range created {
		if c.Name != fmt.Sprintf("bulk-%d", i) || c.Mode != "selective" {
			t.Fatalf("bulk item %d: %+v", i, c)
		}
		bulk = append(bulk, c.ID)
	}
	updated := decode[page[workloadOut]](t, e.must(200, "POST", api("workloads", "bulk-update"), tok, obj{"items": arr{
		obj{"id": bulk[2], "name": "renamed-2", "labels": arr{db}},
		obj{"id": bulk[0], "name": "renamed-0", "enforcement_mode": "idle"},
	}})).Items
	if len(updated) != 2 || updated[0].ID != bulk[2] || updated[0].Name != "renamed-2" || !slices.Equal(updated[0].Labels, []string{db}) ||
		updated[1].ID != bulk[0] || updated[1].Mode != "idle" || len(updated[1].Labels) != 0 {
		t.Fatalf("bulk-updated %+v", updated)
	}
	if n := decode[struct{ Deleted int }](t, e.must(200, "POST", api("workloads", "bulk-delete"), tok, obj{"ids": strs(bulk)})).Deleted; n != 3 {
		t.Fatalf("bulk-deleted %d, want 3", n)
	}
	sameIDs(t, "after bulk delete", pageIDs(t, e.must(200, "GET", api("workloads"), tok, nil)), []string{bare.ID})
}

// TestPolicyWorkloadsInvalid: each invalid field of a workload, single or
// in bulk, is a 422 naming its path; a bulk request with one bad item
// writes nothing.
func TestPolicyWorkloadsInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Workload values").owner
	web, db := e.label(tok, "role", "web"), e.label(tok, "role", "db")
	keep := e.workload(tok, "keep", "full", "10.0.0.1", web)
	missing := "00000000-0000-4000-8000-000000000000"

	good := func(name string) obj { return workloadBody(name, "", "10.0.0.9", web) }
	with := func(k string, v any) obj {
		b := good("w")
		b[k] = v
		return b
	}
	iface := func(name string, addrs ...string) arr { return arr{obj{"name": name, "addresses": strs(addrs)}} }
	rows := []struct {
		name  string
		path  string
		body  obj
		field string
	}{
		{"no name", "workloads", with("name", ""), "name"},
		{"blank name", "workloads", with("name", "   "), "name"},
		{"long name", "workloads", with("name", strings.Repeat("n", 256)), "name"},
		{"bad hostname", "workloads", with("hostname", "-web.example.com"), "hostname"},
		{"hostname with space", "workloads", with("hostname", "web 1"), "hostname"},
		{"no interface name", "workloads", with("interfaces", iface("", "10.0.0.1")), "interfaces[0].name"},
		{"long interface name", "workloads", with("interfaces", iface("eth0123456789abc", "10.0.0.1")), "interfaces[0].name"},
		{"bad address", "workloads", with("interfaces", iface("eth0", "10.0.0.256")), "interfaces[0].addresses[0]"},
		{"prefix as address", "workloads", with("interfaces", iface("eth0", "10.0.0.0/24")), "interfaces[0].addresses[0]"},
		{"address with zone", "workloads", with("interfaces", iface("eth0", "fe80::1%eth0")), "interfaces[0].addresses[0]"},
		{"second address bad", "workloads", with("interfaces", iface("eth0", "10.0.0.1", "nope")), "interfaces[0].addresses[1]"},
		{"unknown label", "workloads", with("labels", arr{missing}), "labels[0]"},
		{"malformed label", "workloads", with("labels", arr{"role=web"}), "labels[0]"},
		{"second label of a key", "workloads", with("labels", arr{web, db}), "labels[1]"},
		{"bad mode", "workloads", with("enforcement_mode", "strict"), "enforcement_mode"},
		{"put: bad mode", "workloads/" + keep, with("enforcement_mode", "enforced"), "enforcement_mode"},
		{"put: second label of a key", "workloads/" + keep, with("labels", arr{db, web}), "labels[1]"},
		{"bulk: third item unnamed", "workloads/bulk-create", obj{"items": arr{good("a"), good("b"), with("name", "")}}, "items[2].name"},
		{"bulk: label of second item", "workloads/bulk-create", obj{"items": arr{good("a"), with("labels", arr{web, db})}}, "items[1].labels[1]"},
		{"bulk: no items", "workloads/bulk-create", obj{"items": arr{}}, "items"},
		{"bulk: 1001 items", "workloads/bulk-create", obj{"items": func() arr {
			items := arr{}
			for i := range 1001 {
				items = append(items, obj{"name": fmt.Sprintf("w%d", i)})
			}
			return items
		}()}, "items"},
		{"bulk update: unknown id", "workloads/bulk-update", obj{"items": arr{obj{"id": keep, "name": "k"}, obj{"id": missing, "name": "m"}}}, "items[1].id"},
		{"bulk update: id twice", "workloads/bulk-update", obj{"items": arr{obj{"id": keep, "name": "k"}, obj{"id": keep, "name": "m"}}}, "items[1].id"},
		{"bulk update: bad mode", "workloads/bulk-update", obj{"items": arr{obj{"id": keep, "name": "k", "enforcement_mode": "x"}}}, "items[0].enforcement_mode"},
		{"bulk update: no items", "workloads/bulk-update", obj{"items": arr{}}, "items"},
		{"bulk delete: unknown id", "workloads/bulk-delete", obj{"ids": arr{keep, keep + "x", missing}}, "ids[2]"},
		{"bulk delete: malformed id", "workloads/bulk-delete", obj{"ids": arr{keep, "nope"}}, "ids[1]"},
		{"bulk delete: no ids", "workloads/bulk-delete", obj{"ids": arr{}}, "ids"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			method := "POST"
			if strings.HasPrefix(row.path, "workloads/"+keep) {
				method = "PUT"
			}
			wantProblem(t, e.on(t).call(method, api(row.path), tok, row.body), 422, row.field)
		})
	}
	// Every bad item of a bulk request is named at once.
	t.Run("bulk: every bad item", func(t *testing.T) {
		t.Parallel()
		r := e.on(t).call("POST", api("workloads", "bulk-create"), tok, obj{"items": arr{with("name", ""), good("ok"), with("enforcement_mode", "x")}})
		wantProblem(t, r, 422, "")
		if got := fieldsOf(t, r); !slices.Equal(got, []string{"items[0].name", "items[2].enforcement_mode"}) {
			t.Fatalf("fields %v", got)
		}
	})
	t.Cleanup(func() {
		if got := pageIDs(t, e.must(200, "GET", api("workloads"), tok, nil)); !slices.Equal(got, []string{keep}) {
			t.Errorf("bad input changed the workloads: %v", got)
		}
		k := decode[workloadOut](t, e.must(200, "GET", api("workloads", keep), tok, nil))
		if k.Name != "keep" || k.Mode != "full" || !slices.Equal(k.Labels, []string{web}) {
			t.Errorf("bad input changed workload keep: %+v", k)
		}
	})
}
