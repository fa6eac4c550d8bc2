package gateway_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// versioned describes one versioned kind to the table tests: its
// collection, its provision kind, and a valid body.
type versioned struct {
	path, kind string
	body       func(name string) obj
}

// versionedKinds are the four versioned kinds, with bodies that refer to
// labels and objects of fx.
func versionedKinds(fx world) []versioned {
	return []versioned{
		{"label-groups", "label_group", func(n string) obj { return groupBody(n, "role", fx.web, fx.db) }},
		{"services", "service", func(n string) obj { return serviceBody(n, tcp(80), obj{"proto": "udp", "port": 53}) }},
		{"ip-lists", "ip_list", func(n string) obj { return ipListBody(n, "192.168.0.0/16", "10.0.0.1-10.0.0.9") }},
		{"rulesets", "ruleset", func(n string) obj {
			return rulesetBody(n, arr{scope(lbl(fx.shop))},
				rule("allow", actors(lbl(fx.db)), actors(lbl(fx.web)), services(svc(fx.pg))))
		}},
	}
}

// TestPolicyObjects runs each versioned kind through its life over HTTP:
// created in the draft (invisible in the active version), read, replaced,
// provisioned (then readable as active and as version N), deleted from the
// draft (still active until the next provision), with an ETag on every
// single-object answer that changes with each write.
func TestPolicyObjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Objects").owner
	fx := e.world(tok)
	missing := "00000000-0000-4000-8000-000000000000"

	for _, k := range versionedKinds(fx) {
		t.Run(k.path, func(t *testing.T) {
			t.Parallel()
			e := e.on(t)
			item := func(id, query string) string { return api(k.path, id) + query }
			name := "first " + k.kind

			// Create: in the draft only.
			r := e.must(201, "POST", api(k.path), tok, k.body(name))
			tag := etagOf(t, r)
			o := decode[stored](t, r)
			if o.ID == "" || o.Name != name || o.UpdatedAt.IsZero() || !hasKey(t, r, "warnings") {
				t.Fatalf("created %s", r.body)
			}
			for _, q := range []string{"", "?version=draft"} {
				r = e.must(200, "GET", item(o.ID, q), tok, nil)
				if etagOf(t, r) != tag || decode[stored](t, r).Name != name || hasKey(t, r, "warnings") {
					t.Fatalf("GET%s: ETag %s (POST gave %s): %s", q, r.header.Get("ETag"), tag, r.body)
				}
			}
			wantProblem(t, e.call("GET", item(o.ID, "?version=active"), tok, nil), 404, "")
			if !slices.Contains(pageIDs(t, e.must(200, "GET", api(k.path), tok, nil)), o.ID) {
				t.Fatal("the draft list lacks the new object")
			}
			if slices.Contains(pageIDs(t, e.must(200, "GET", api(k.path+"?version=active"), tok, nil)), o.ID) {
				t.Fatal("the active list has an unprovisioned object")
			}

			// Replace: a new ETag; the body's id may repeat the path's.
			changed := k.body(name)
			changed["description"] = "changed"
			r = e.must(200, "PUT", item(o.ID, ""), tok, changed)
			tag2 := etagOf(t, r)
			if tag2 == tag || decode[struct{ Description string }](t, r).Description != "changed" || !hasKey(t, r, "warnings") {
				t.Fatalf("PUT: ETag %s→%s: %s", tag, tag2, r.body)
			}
			changed["id"] = o.ID
			etagOf(t, e.must(200, "PUT", item(o.ID, ""), tok, changed))

			// Ids are the server's; names are unique per kind, ignoring case.
			wantProblem(t, e.call("POST", api(k.path), tok, changed), 422, "id")
			changed["id"] = missing
			wantProblem(t, e.call("PUT", item(o.ID, ""), tok, changed), 422, "id")
			wantProblem(t, e.call("POST", api(k.path), tok, k.body(strings.ToUpper(name))), 409, "name")
			other := e.create(tok, k.path, k.body("second "+k.kind))
			wantProblem(t, e.call("PUT", item(other, ""), tok, k.body(name)), 409, "name")

			// Provision this object alone: now active, and version N.
			v := e.provision(tok, "provision "+k.kind, ref(k.kind, o.ID))
			ver := fmt.Sprintf("?version=%d", v.Version)
			for _, q := range []string{"?version=active", ver} {
				r = e.must(200, "GET", item(o.ID, q), tok, nil)
				if decode[struct{ Description string }](t, r).Description != "changed" {
					t.Fatalf("GET%s: %s", q, r.body)
				}
				etagOf(t, r)
				if !slices.Contains(pageIDs(t, e.must(200, "GET", api(k.path+q), tok, nil)), o.ID) {
					t.Fatalf("list%s lacks the provisioned object", q)
				}
			}
			wantProblem(t, e.call("GET", item(other, "?version=active"), tok, nil), 404, "")
			wantProblem(t, e.call("GET", item(o.ID, "?version=9999"), tok, nil), 404, "")
			wantProblem(t, e.call("GET", api(k.path+"?version=9999"), tok, nil), 404, "")
			for _, bad := range []string{"bogus", "0", "-1", "01", "1.5", "Draft"} {
				wantProblem(t, e.call("GET", item(o.ID, "?version="+bad), tok, nil), 422, "version")
				wantProblem(t, e.call("GET", api(k.path+"?version="+bad), tok, nil), 422, "version")
			}

			// Delete from the draft: gone there, still active.
			e.must(204, "DELETE", item(o.ID, ""), tok, nil)
			wantProblem(t, e.call("GET", item(o.ID, ""), tok, nil), 404, "")
			e.must(200, "GET", item(o.ID, "?version=active"), tok, nil)
			e.must(200, "GET", item(o.ID, ver), tok, nil)

			for _, id := range []string{o.ID, missing, "not-a-uuid"} {
				wantProblem(t, e.call("GET", item(id, ""), tok, nil), 404, "")
				wantProblem(t, e.call("PUT", item(id, ""), tok, k.body("ghost")), 404, "")
				wantProblem(t, e.call("DELETE", item(id, ""), tok, nil), 404, "")
			}
		})
	}
}

// TestPolicyObjectsInvalid: each invalid field of each versioned kind is a
// 422 naming its JSON path, and nothing is written.
func TestPolicyObjectsInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Object values").owner
	fx := e.world(tok)
	missing := "00000000-0000-4000-8000-000000000000"
	corp := e.create(tok, "ip-lists", ipListBody("corp", "192.168.0.0/16"))
	g1 := e.create(tok, "label-groups", groupBody("g1", "role", fx.web))
	g2 := e.create(tok, "label-groups", obj{"name": "g2", "key": "role", "labels": arr{fx.db}, "groups": arr{g1}})
	apps := e.create(tok, "label-groups", groupBody("apps", "app", fx.shop))

	type row struct {
		name   string
		method string // POST unless set
		path   string // collection, or collection/id for a PUT
		body   obj
		field  string
	}
	allow := func(p, c, s arr) obj { return rule("allow", p, c, s) }
	okRule := func() obj { return allow(actors(lbl(fx.db)), actors(lbl(fx.web)), services(svc(fx.pg))) }
	scoped := func(rules ...obj) obj { return rulesetBody("rs", arr{scope(lbl(fx.shop))}, rules...) }
	port := func(kv ...any) obj {
		p := obj{}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i].(string)] = kv[i+1]
		}
		return p
	}
	rows := []row{
		// Services.
		{name: "service: no name", path: "services", body: serviceBody("", tcp(80)), field: "name"},
		{name: "service: no ports", path: "services", body: serviceBody("s"), field: "ports"},
		{name: "service: bad proto", path: "services", body: serviceBody("s", port("proto", "sctp", "port", 80)), field: "ports[0].proto"},
		{name: "service: no proto", path: "services", body: serviceBody("s", port("port", 80)), field: "ports[0].proto"},
		{name: "service: to_port below port", path: "services", body: serviceBody("s", port("proto", "tcp", "port", 80, "to_port", 79)), field: "ports[0].to_port"},
		{name: "service: to_port without port", path: "services", body: serviceBody("s", port("proto", "tcp", "to_port", 90)), field: "ports[0].to_port"},
		{name: "service: port too big", path: "services", body: serviceBody("s", port("proto", "udp", "port", 65536)), field: "ports[0].port"},
		{name: "service: port on icmp", path: "services", body: serviceBody("s", tcp(1), port("proto", "icmp", "port", 8)), field: "ports[1].port"},
		{name: "service: icmp code without type", path: "services", body: serviceBody("s", port("proto", "icmp", "icmp_code", 0)), field: "ports[0].icmp_code"},
		{name: "service: icmp type on tcp", path: "services", body: serviceBody("s", port("proto", "tcp", "port", 1, "icmp_type", 8)), field: "ports[0].icmp_type"},
		{name: "service: port on any", path: "services", body: serviceBody("s", port("proto", "any", "port", 1)), field: "ports[0].port"},
		{name: "service: control in description", path: "services", body: obj{"name": "s", "description": "a\x00b", "ports": arr{tcp(1)}}, field: "description"},
		// IP lists.
		{name: "ip list: no name", path: "ip-lists", body: ipListBody("", "10.0.0.0/8"), field: "name"},
		{name: "ip list: no ranges", path: "ip-lists", body: ipListBody("l"), field: "ranges"},
		{name: "ip list: host bits", path: "ip-lists", body: ipListBody("l", "10.0.0.1/8"), field: "ranges[0]"},
		{name: "ip list: garbage range", path: "ip-lists", body: ipListBody("l", "10.0.0.0/8", "ten"), field: "ranges[1]"},
		{name: "ip list: mixed families", path: "ip-lists", body: ipListBody("l", "10.0.0.1-fd00::1"), field: "ranges[0]"},
		{name: "ip list: bad exclusion", path: "ip-lists", body: obj{"name": "l", "ranges": arr{"10.0.0.0/8"}, "exclusions": arr{"10.0.0.9-10.0.0.1"}}, field: "exclusions[0]"},
		// Label groups.
		{name: "group: no name", path: "label-groups", body: groupBody("", "role", fx.web), field: "name"},
		{name: "group: bad key", path: "label-groups", body: groupBody("g", "Role!", fx.web), field: "key"},
		{name: "group: label of another key", path: "label-groups", body: groupBody("g", "role", fx.shop), field: "labels[0]"},
		{name: "group: missing label", path: "label-groups", body: groupBody("g", "role", missing), field: "labels[0]"},
		{name: "group: label twice", path: "label-groups", body: groupBody("g", "role", fx.web, fx.web), field: "labels[1]"},
		{name: "group: missing group", path: "label-groups", body: obj{"name": "g", "key": "role", "labels": arr{}, "groups": arr{missing}}, field: "groups[0]"},
		{name: "group: group of another key", path: "label-groups", body: obj{"name": "g", "key": "role", "labels": arr{}, "groups": arr{apps}}, field: "groups[0]"},
		{name: "group: cycle", method: "PUT", path: "label-groups/" + g1, body: obj{"name": "g1", "key": "role", "labels": arr{fx.web}, "groups": arr{g2}}, field: "groups[0]"},
		{name: "group: contains itself", method: "PUT", path: "label-groups/" + g1, body: obj{"name": "g1", "key": "role", "labels": arr{}, "groups": arr{g1}}, field: "groups[0]"},
		// Rulesets.
		{name: "ruleset: no name", path: "rulesets", body: rulesetBody("", arr{}, okRule()), field: "name"},
		{name: "ruleset: bad action", path: "rulesets", body: scoped(rule("permit", actors(lbl(fx.db)), actors(lbl(fx.web)), services(tcp(1)))), field: "rules[0].action"},
		{name: "ruleset: missing provider label", path: "rulesets", body: scoped(allow(actors(lbl(missing)), actors(lbl(fx.web)), services(tcp(1)))), field: "rules[0].providers[0].label"},
		{name: "ruleset: missing consumer group", path: "rulesets", body: scoped(okRule(), allow(actors(lbl(fx.db)), actors(grp(missing)), services(tcp(1)))), field: "rules[1].consumers[0].label_group"},
		{name: "ruleset: no providers", path: "rulesets", body: scoped(allow(arr{}, actors(lbl(fx.web)), services(tcp(1)))), field: "rules[0].providers"},
		{name: "ruleset: two fields in an actor", path: "rulesets", body: scoped(allow(actors(obj{"label": fx.db, "all_workloads": true}), actors(lbl(fx.web)), services(tcp(1)))), field: "rules[0].providers[0]"},
		{name: "ruleset: ip list as provider", path: "rulesets", body: rulesetBody("rs", arr{}, allow(actors(ipl(corp)), actors(lbl(fx.web)), services(tcp(1)))), field: "rules[0].providers[0].ip_list"},
		{name: "ruleset: ip list consumer, intra-scope", path: "rulesets", body: scoped(allow(actors(lbl(fx.db)), actors(ipl(corp)), services(tcp(1)))), field: "rules[0].consumers[0].ip_list"},
		{name: "ruleset: missing ip list", path: "rulesets", body: rulesetBody("rs", arr{}, allow(actors(lbl(fx.db)), actors(ipl(missing)), services(tcp(1)))), field: "rules[0].consumers[0].ip_list"},
		{name: "ruleset: missing workload", path: "rulesets", body: scoped(allow(actors(wl(missing)), actors(lbl(fx.web)), services(tcp(1)))), field: "rules[0].providers[0].workload"},
		{name: "ruleset: missing scope label", path: "rulesets", body: rulesetBody("rs", arr{scope(lbl(missing))}, okRule()), field: "scopes[0][0].label"},
		{name: "ruleset: missing scope group", path: "rulesets", body: rulesetBody("rs", arr{scope(lbl(fx.shop)), scope(grp(missing))}, okRule()), field: "scopes[1][0].label_group"},
		{name: "ruleset: empty scope", path: "rulesets", body: rulesetBody("rs", arr{scope()}, okRule()), field: "scopes[0]"},
		{name: "ruleset: scope term with both", path: "rulesets", body: rulesetBody("rs", arr{scope(obj{"label": fx.shop, "label_group": apps})}, okRule()), field: "scopes[0][0]"},
		{name: "ruleset: inline port too big", path: "rulesets", body: scoped(allow(actors(lbl(fx.db)), actors(lbl(fx.web)), services(tcp(70000)))), field: "rules[0].services[0].port"},
		{name: "ruleset: missing service", path: "rulesets", body: scoped(allow(actors(lbl(fx.db)), actors(lbl(fx.web)), services(svc(missing)))), field: "rules[0].services[0].service"},
		{name: "ruleset: service and port", path: "rulesets", body: scoped(allow(actors(lbl(fx.db)), actors(lbl(fx.web)), services(obj{"service": fx.pg, "proto": "tcp", "port": 1}))), field: "rules[0].services[0]"},
		{name: "ruleset: no services", path: "rulesets", body: scoped(allow(actors(lbl(fx.db)), actors(lbl(fx.web)), arr{})), field: "rules[0].services"},
		{name: "ruleset: bad rule id", path: "rulesets", body: scoped(func() obj { r := okRule(); r["id"] = "rule-1"; return r }()), field: "rules[0].id"},
		{name: "ruleset: rule id twice", path: "rulesets", body: scoped(
			func() obj { r := okRule(); r["id"] = missing; return r }(),
			func() obj { r := okRule(); r["id"] = missing; return r }()), field: "rules[1].id"},
		{name: "ruleset: put, bad action", method: "PUT", path: "rulesets/" + fx.ruleset, body: scoped(rule("drop", actors(lbl(fx.db)), actors(lbl(fx.web)), services(tcp(1)))), field: "rules[0].action"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			method := row.method
			if method == "" {
				method = "POST"
			}
			wantProblem(t, e.on(t).call(method, api(row.path), tok, row.body), 422, row.field)
		})
	}
	t.Cleanup(func() {
		d := e.diff(tok, "")
		if got := refNames(d.Added); len(got) != 6 || len(d.Changed)+len(d.Removed) != 0 {
			t.Errorf("bad input changed the draft: %+v", d)
		}
	})
}

// TestPolicyWarnings: findings that do not stop a write are answered as
// warnings[] with the culprit's path, on POST and PUT but not on GET.
func TestPolicyWarnings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Warnings").owner
	fx := e.world(tok)

	// A provider that repeats the ruleset's scope label.
	body := rulesetBody("repeats", arr{scope(lbl(fx.shop))},
		rule("allow", actors(lbl(fx.db)), actors(lbl(fx.web)), services(tcp(1))),
		rule("allow", actors(lbl(fx.shop)), actors(lbl(fx.web)), services(tcp(2))))
	r := e.must(201, "POST", api("rulesets"), tok, body)
	wantWarning(t, r, "rules[1].providers[0]")
	if n := len(decode[stored](t, r).Warnings); n != 1 {
		t.Errorf("%d warnings, want 1: %s", n, r.body)
	}
	id := decode[stored](t, r).ID
	wantWarning(t, e.must(200, "PUT", api("rulesets", id), tok, body), "rules[1].providers[0]")
	if r := e.must(200, "GET", api("rulesets", id), tok, nil); hasKey(t, r, "warnings") {
		t.Errorf("GET answers warnings: %s", r.body)
	}
	// A side that contradicts every scope can never match.
	wantWarning(t, e.must(201, "POST", api("rulesets"), tok, rulesetBody("dead", arr{scope(lbl(fx.web))},
		rule("allow", actors(lbl(fx.db)), actors(obj{"all_workloads": true}), services(tcp(1))))), "rules[0].providers")
	// An empty label group, and an IP list that excludes all it includes.
	wantWarning(t, e.must(201, "POST", api("label-groups"), tok, groupBody("empty", "role")), "labels")
	wantWarning(t, e.must(201, "POST", api("ip-lists"), tok, obj{"name": "none", "ranges": arr{"10.0.0.0/24"},
		"exclusions": arr{"10.0.0.0/8"}}), "exclusions")
	// A clean write answers an empty list, not null.
	r = e.must(201, "POST", api("services"), tok, serviceBody("https", tcp(443)))
	if !strings.Contains(string(r.body), `"warnings":[]`) {
		t.Errorf("clean write: %s", r.body)
	}
}

// TestPolicyObjectInUse: a draft object that another draft object refers
// to cannot be deleted (409, used_by names the referrer).
func TestPolicyObjectInUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Refs").owner
	fx := e.world(tok)
	corp := e.create(tok, "ip-lists", ipListBody("corp", "192.168.0.0/16"))
	inner := e.create(tok, "label-groups", groupBody("inner", "role", fx.web))
	outer := e.create(tok, "label-groups", obj{"name": "outer", "key": "role", "labels": arr{}, "groups": arr{inner}})
	rs := e.create(tok, "rulesets", rulesetBody("uses", arr{},
		rule("allow", actors(grp(outer)), actors(ipl(corp)), services(svc(fx.pg)))))

	for _, c := range []struct{ path, id, user string }{
		{"services", fx.pg, fmt.Sprintf(`draft ruleset "shop" (%s)`, fx.ruleset)},
		{"ip-lists", corp, fmt.Sprintf(`draft ruleset "uses" (%s)`, rs)},
		{"label-groups", outer, fmt.Sprintf(`draft ruleset "uses" (%s)`, rs)},
		{"label-groups", inner, fmt.Sprintf(`draft label group "outer" (%s)`, outer)},
	} {
		r := e.call("DELETE", api(c.path, c.id), tok, nil)
		wantProblem(t, r, 409, "used_by")
		if got := messagesOf(t, r, "used_by"); !slices.Contains(got, c.user) {
			t.Errorf("DELETE %s %s: used_by %q, want %q", c.path, c.id, got, c.user)
		}
	}
	// Users first, then what they used.
	e.must(204, "DELETE", api("rulesets", rs), tok, nil)
	e.must(204, "DELETE", api("label-groups", outer), tok, nil)
	e.must(204, "DELETE", api("label-groups", inner), tok, nil)
	e.must(204, "DELETE", api("ip-lists", corp), tok, nil)
}
