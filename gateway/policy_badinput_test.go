package gateway_test

import (
	"slices"
	"strings"
	"testing"
)

// TestPolicyBadBodies sends every policy endpoint that takes a JSON body
// each kind of malformed body: 400 naming the body or the field for bad
// JSON, unknown fields and wrong types; 415 for another media type; 413
// over the size limit. Nothing is written.
func TestPolicyBadBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Bodies").owner
	fx := e.world(tok)
	e.provision(tok, "v1")
	before := e.must(200, "GET", api("policy", "export?version=draft"), tok, nil).body
	labelsBefore := pageIDs(t, e.must(200, "GET", api("labels"), tok, nil))
	workloadsBefore := pageIDs(t, e.must(200, "GET", api("workloads"), tok, nil))
	huge := raw(`{"name":"` + strings.Repeat("a", 1<<20) + `"}`)

	// field is a top-level field of the body and wrong a JSON value of the
	// wrong type for it.
	endpoints := []struct{ method, path, field, wrong string }{
		{"POST", api("label-dimensions"), "key", `42`},
		{"POST", api("labels"), "key", `42`},
		{"PUT", api("labels", fx.web), "value", `["web"]`},
		{"POST", api("workloads"), "name", `42`},
		{"PUT", api("workloads", fx.webW), "labels", `"role=web"`},
		{"POST", api("workloads", "bulk-create"), "items", `{}`},
		{"POST", api("workloads", "bulk-update"), "items", `42`},
		{"POST", api("workloads", "bulk-delete"), "ids", `"all"`},
		{"POST", api("label-groups"), "labels", `"web"`},
		{"PUT", api("label-groups", fx.web), "name", `42`},
		{"POST", api("services"), "ports", `{"proto":"tcp"}`},
		{"PUT", api("services", fx.pg), "name", `true`},
		{"POST", api("ip-lists"), "ranges", `"10.0.0.0/8"`},
		{"PUT", api("ip-lists", fx.pg), "exclusions", `7`},
		{"POST", api("rulesets"), "rules", `{}`},
		{"PUT", api("rulesets", fx.ruleset), "enabled", `"yes"`},
		{"POST", api("policy", "provision"), "note", `42`},
		{"POST", api("policy", "rollback"), "version", `"1"`},
		{"POST", api("policy", "check"), "port", `"5432"`},
		{"POST", api("policy", "check", "batch"), "flows", `{}`},
		{"POST", api("policy", "import"), "rulesets", `{}`},
	}
	for _, ep := range endpoints {
		rows := []struct {
			name   string
			body   raw
			status int
			field  string
		}{
			{"malformed json", raw(`{"` + ep.field + `": `), 400, "body"},
			{"not json", `hello`, 400, "body"},
			{"empty body", ``, 400, "body"},
			{"array", `[]`, 400, "body"},
			{"two objects", `{} {}`, 400, "body"},
			{"unknown field", raw(`{"is_admin":true}`), 400, "is_admin"},
			{"wrong type", raw(`{"` + ep.field + `":` + ep.wrong + `}`), 400, ep.field},
		}
		if !strings.HasSuffix(ep.path, "/import") {
			rows = append(rows, struct {
				name   string
				body   raw
				status int
				field  string
			}{"oversize", huge, 413, "body"})
		}
		for _, r := range rows {
			t.Run(ep.method+" "+ep.path+"/"+r.name, func(t *testing.T) {
				t.Parallel()
				wantProblem(t, e.on(t).call(ep.method, ep.path, tok, r.body), r.status, r.field)
			})
		}
		t.Run(ep.method+" "+ep.path+"/content type", func(t *testing.T) {
			t.Parallel()
			wantProblem(t, e.on(t).call(ep.method, ep.path, tok, raw(`{}`), "Content-Type", "text/plain"), 415, "")
		})
	}
	// A mistyped field deep in the body is named by its JSON keys alone,
	// never by the server's Go types (encoding/json records no indices).
	for _, c := range []struct{ path, body, field string }{
		{api("workloads", "bulk-update"), `{"items":[{"id":"` + fx.webW + `","name":42}]}`, "items.name"},
		{api("workloads", "bulk-create"), `{"items":[{"name":"w","interfaces":[{"name":1}]}]}`, "items.interfaces.name"},
		{api("rulesets"), `{"name":"r","scopes":[],"rules":[{"action":"allow","providers":[],"consumers":[],"services":[{"port":"80"}]}]}`, "rules.services.port"},
		{api("policy", "check", "batch"), `{"flows":[{"source":"10.0.0.1","destination":"` + fx.dbW + `","proto":"tcp","port":"80"}]}`, "flows.port"},
	} {
		t.Run("nested wrong type "+c.field, func(t *testing.T) {
			t.Parallel()
			wantProblem(t, e.on(t).call("POST", c.path, tok, raw(c.body)), 400, c.field)
		})
	}
	// Revert takes an empty object or nothing at all.
	t.Run("revert", func(t *testing.T) {
		t.Parallel()
		e := e.on(t)
		wantProblem(t, e.call("POST", api("policy", "revert"), tok, raw(`{"all":true}`)), 400, "all")
		wantProblem(t, e.call("POST", api("policy", "revert"), tok, raw(`{`)), 400, "body")
		wantProblem(t, e.call("POST", api("policy", "revert"), tok, raw(`{}`), "Content-Type", "text/plain"), 415, "")
	})
	// Query parameters.
	for _, q := range []struct {
		path   string
		status int
		field  string
	}{
		{api("labels?limit=abc"), 400, "limit"},
		{api("workloads?cursor=%21"), 400, "cursor"},
		{api("services?limit=201"), 400, "limit"},
		{api("rulesets?version=next"), 422, "version"},
		{api("policy", "versions?cursor=bm9wZQ"), 400, "cursor"},
		{api("policy", "export?version=0"), 422, "version"},
	} {
		t.Run("GET "+q.path, func(t *testing.T) {
			t.Parallel()
			wantProblem(t, e.on(t).call("GET", q.path, tok, nil), q.status, q.field)
		})
	}

	t.Cleanup(func() {
		if after := e.must(200, "GET", api("policy", "export?version=draft"), tok, nil).body; string(after) != string(before) {
			t.Errorf("bad bodies changed the draft:\n%s\n%s", before, after)
		}
		if got := pageIDs(t, e.must(200, "GET", api("labels"), tok, nil)); !slices.Equal(got, labelsBefore) {
			t.Errorf("bad bodies changed the labels: %v", got)
		}
		if got := pageIDs(t, e.must(200, "GET", api("workloads"), tok, nil)); !slices.Equal(got, workloadsBefore) {
			t.Errorf("bad bodies changed the workloads: %v", got)
		}
		if vs := decode[page[versionOut]](t, e.must(200, "GET", api("policy", "versions"), tok, nil)).Items; len(vs) != 1 {
			t.Errorf("bad bodies provisioned: %d versions", len(vs))
		}
	})
}
