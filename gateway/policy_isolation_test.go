package gateway_test

import (
	"slices"
	"strings"
	"testing"
)

// TestPolicyIsolation: tenant B's owner, by access token and by API key,
// gets 404 on every one of tenant A's policy objects — the answer for an
// object that does not exist — cannot refer to them from its own, cannot
// check flows of A's workloads, and sees none of them in lists or exports.
// Afterwards A's policy is exactly as it was.
func TestPolicyIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.signup("Alpha"), e.signup("Bravo")
	fx := e.world(a.owner)
	group := e.create(a.owner, "label-groups", groupBody("tiers", "role", fx.web, fx.db))
	corp := e.create(a.owner, "ip-lists", ipListBody("corp", "192.168.0.0/16"))
	e.provision(a.owner, "v1")
	e.provision(a.owner, "v2", ref("service", e.create(a.owner, "services", serviceBody("https", tcp(443)))))
	before := e.must(200, "GET", api("policy", "export?version=draft"), a.owner, nil).body
	wlTag := etagOf(t, e.must(200, "GET", api("workloads", fx.webW), a.owner, nil))

	bKey := decode[struct{ Secret string }](t, e.must(201, "POST", api("api-keys"), b.owner, obj{"name": "ci", "role": "owner"})).Secret
	bWeb := e.label(b.owner, "role", "web")
	bW := e.workload(b.owner, "b-web", "full", "10.0.0.1", bWeb)
	bSvc := e.create(b.owner, "services", serviceBody("b-svc", tcp(1)))

	objects := map[string]string{"label-groups": group, "services": fx.pg, "ip-lists": corp, "rulesets": fx.ruleset}
	aNames := []string{"web-1", "db-1", "shop", "postgres", "tiers", "corp", "https"}
	noLeak := func(t *testing.T, r resp) {
		t.Helper()
		for _, n := range aNames {
			if strings.Contains(string(r.body), `"`+n+`"`) || strings.Contains(string(r.body), "="+n) {
				t.Errorf("tenant A's %q shows in tenant B's answer: %s", n, r.body)
			}
		}
	}

	for credName, cred := range map[string]string{"jwt": b.owner, "api key": bKey} {
		t.Run(credName, func(t *testing.T) {
			e := e.on(t)
			type attempt struct {
				method, path string
				body         any
			}
			attempts := []attempt{
				{"GET", api("labels", fx.web), nil},
				{"PUT", api("labels", fx.web), obj{"key": "role", "value": "stolen"}},
				{"DELETE", api("labels", fx.web), nil},
				{"GET", api("workloads", fx.webW), nil},
				{"PUT", api("workloads", fx.webW), obj{"name": "stolen"}},
				{"DELETE", api("workloads", fx.webW), nil},
				{"GET", api("policy", "versions", "1"), nil},
				{"GET", api("policy", "diff?from=1"), nil},
				{"GET", api("policy", "export?version=2"), nil},
				{"POST", api("policy", "rollback"), obj{"version": 1}},
			}
			for path, id := range objects {
				k := versionedKinds(fx)[slices.IndexFunc(versionedKinds(fx), func(v versioned) bool { return v.path == path })]
				for _, q := range []string{"", "?version=draft", "?version=active"} {
					attempts = append(attempts, attempt{"GET", api(path, id) + q, nil})
				}
				attempts = append(attempts,
					attempt{"GET", api(path + "?version=1"), nil},
					attempt{"PUT", api(path, id), k.body("stolen")},
					attempt{"DELETE", api(path, id), nil})
			}
			for _, at := range attempts {
				r := e.call(at.method, at.path, cred, at.body)
				wantProblem(t, r, 404, "")
				noLeak(t, r)
			}

			// A's ids are unknown to B everywhere B might name them.
			refused := []struct {
				name, method, path string
				body               any
				field              string
			}{
				{"check: A's destination", "POST", api("policy", "check"), flow(bW, fx.dbW), "destination"},
				{"check: A's source", "POST", api("policy", "check"), flow(fx.webW, bW), "source"},
				{"batch: A's destination", "POST", api("policy", "check", "batch"), obj{"flows": arr{flow(bW, bW), flow(bW, fx.dbW)}}, "flows[1].destination"},
				{"workload with A's label", "POST", api("workloads"), obj{"name": "x", "labels": arr{fx.web}}, "labels[0]"},
				{"bulk update of A's workload", "POST", api("workloads", "bulk-update"), obj{"items": arr{obj{"id": fx.webW, "name": "x"}}}, "items[0].id"},
				{"bulk delete of A's workload", "POST", api("workloads", "bulk-delete"), obj{"ids": arr{bW, fx.webW}}, "ids[1]"},
				{"group with A's label", "POST", api("label-groups"), groupBody("g", "role", fx.web), "labels[0]"},
				{"group with A's group", "POST", api("label-groups"), obj{"name": "g", "key": "role", "labels": arr{}, "groups": arr{group}}, "groups[0]"},
				{"ruleset with A's label", "POST", api("rulesets"), rulesetBody("r", arr{}, rule("allow", actors(lbl(fx.db)), actors(lbl(bWeb)), services(tcp(1)))), "rules[0].providers[0].label"},
				{"ruleset with A's service", "POST", api("rulesets"), rulesetBody("r", arr{}, rule("allow", actors(lbl(bWeb)), actors(lbl(bWeb)), services(svc(fx.pg)))), "rules[0].services[0].service"},
				{"ruleset with A's ip list", "POST", api("rulesets"), rulesetBody("r", arr{}, rule("allow", actors(lbl(bWeb)), actors(ipl(corp)), services(tcp(1)))), "rules[0].consumers[0].ip_list"},
				{"ruleset with A's workload", "POST", api("rulesets"), rulesetBody("r", arr{}, rule("allow", actors(wl(fx.dbW)), actors(lbl(bWeb)), services(tcp(1)))), "rules[0].providers[0].workload"},
				{"ruleset scoped by A's group", "POST", api("rulesets"), rulesetBody("r", arr{scope(grp(group))}, rule("allow", actors(lbl(bWeb)), actors(lbl(bWeb)), services(tcp(1)))), "scopes[0][0].label_group"},
				{"provision A's object", "POST", api("policy", "provision"), obj{"note": "n", "objects": arr{ref("service", fx.pg)}}, "objects[0].id"},
				{"import naming A's workload", "POST", api("policy", "import?dry_run=true"), document{Labels: []obj{{"id": bWeb, "key": "role", "value": "web"}},
					LabelGroups: []obj{}, Services: []obj{}, IPLists: []obj{}, Rulesets: []obj{{"id": newID(), "name": "r", "scopes": arr{}, "rules": arr{
						rule("allow", actors(wl(fx.dbW)), actors(lbl(bWeb)), services(tcp(1)))}}}}, "rulesets[0].rules[0].providers[0].workload"},
				{"workloads by A's label", "GET", api("workloads?label=" + fx.web), nil, ""},
			}
			for _, rf := range refused {
				r := e.call(rf.method, rf.path, cred, rf.body)
				if rf.field == "" {
					if got := pageIDs(t, r); r.status != 200 || len(got) != 0 {
						t.Errorf("%s: %d %s", rf.name, r.status, r.body)
					}
					continue
				}
				wantProblem(t, r, 422, rf.field)
				noLeak(t, r)
			}

			// B's lists and exports hold B's objects only.
			lists := map[string][]string{
				"labels": {bWeb}, "workloads": {bW}, "services": {bSvc}, "label-groups": nil, "ip-lists": nil, "rulesets": nil,
			}
			for path, want := range lists {
				r := e.must(200, "GET", api(path+"?limit=200"), cred, nil)
				sameIDs(t, "tenant B's "+path, pageIDs(t, r), want)
				noLeak(t, r)
			}
			for _, q := range []string{"?version=draft", "?version=active"} {
				noLeak(t, e.must(200, "GET", api("policy", "export"+q), cred, nil))
				noLeak(t, e.must(200, "GET", api("services"+q), cred, nil))
			}
			if vs := decode[page[versionOut]](t, e.must(200, "GET", api("policy", "versions"), cred, nil)).Items; len(vs) != 0 {
				t.Errorf("tenant B sees versions %+v", vs)
			}
			d := e.diff(cred, "")
			if d.From != "0" || !slices.Equal(refNames(d.Added), []string{"service:b-svc"}) || len(d.Changed)+len(d.Removed) != 0 {
				t.Errorf("tenant B's diff: %+v", d)
			}
			if c := e.check(cred, flow("10.0.0.1", bW)); c.Version != "0" {
				t.Errorf("tenant B's check answers version %s", c.Version)
			}
		})
	}

	// A's policy is untouched.
	if after := e.must(200, "GET", api("policy", "export?version=draft"), a.owner, nil).body; string(after) != string(before) {
		t.Errorf("tenant A's draft changed:\n%s\n%s", before, after)
	}
	if got := etagOf(t, e.must(200, "GET", api("workloads", fx.webW), a.owner, nil)); got != wlTag {
		t.Errorf("tenant A's workload changed: ETag %s → %s", wlTag, got)
	}
	if l := decode[labelOut](t, e.must(200, "GET", api("labels", fx.web), a.owner, nil)); l.Value != "web" {
		t.Errorf("tenant A's label changed: %+v", l)
	}
	if vs := decode[page[versionOut]](t, e.must(200, "GET", api("policy", "versions"), a.owner, nil)).Items; len(vs) != 2 {
		t.Errorf("tenant A has %d versions, want 2", len(vs))
	}
}
