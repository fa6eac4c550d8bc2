package gateway_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/remora-sec/remora/tenants"
)

// TestPairingBadInput sends every pairing endpoint malformed bodies, each
// field of a profile wrong in type and in value, unknown ids and bad query
// parameters. Each answer names the field and the reason; nothing is
// written.
func TestPairingBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.populate(e.signup("Bad pairing"))
	tok := o.tokens[tenants.Admin]
	web, db := e.label(tok, "role", "web"), e.label(tok, "role", "db")
	prod := e.label(tok, "env", "prod")
	p := e.pairingProfile(tok, profileBody("linux", web))
	q := e.pairingProfile(tok, profileBody("windows"))
	pTok, qTok := e.mintToken(tok, p).ID, e.mintToken(tok, q).ID
	profilesBefore := e.must(200, "GET", api("pairing-profiles"), tok, nil).body
	tokensBefore := e.tokenRows(o)
	huge := raw(`{"name":"` + strings.Repeat("a", 1<<20) + `"}`)

	// Malformed bodies. field is a field of the body and wrong a JSON value
	// of the wrong type for it ("" for the bodies that have no fields).
	endpoints := []struct{ method, path, field, wrong string }{
		{"POST", api("pairing-profiles"), "name", `42`},
		{"PUT", profilePath(p), "lifetime", `72`},
		{"POST", profilePath(p, "tokens"), "", ""},
		{"POST", profilePath(p, "tokens", pTok, "revoke"), "", ""},
	}
	for _, ep := range endpoints {
		rows := []struct {
			name   string
			body   raw
			status int
			field  string
		}{
			{"malformed json", `{"name": `, 400, "body"},
			{"not json", `hello`, 400, "body"},
			{"array", `[]`, 400, "body"},
			{"two objects", `{} {}`, 400, "body"},
			{"unknown field", `{"is_admin":true}`, 400, "is_admin"},
			{"oversize", huge, 413, "body"},
		}
		if ep.field != "" {
			rows = append(rows, struct {
				name   string
				body   raw
				status int
				field  string
			}{"wrong type", raw(`{"` + ep.field + `":` + ep.wrong + `}`), 400, ep.field})
			rows = append(rows, struct {
				name   string
				body   raw
				status int
				field  string
			}{"empty body", ``, 400, "body"})
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

	// Each field of a profile, wrong in type (400) or in value (422, or
	// 409 for a taken name), on create and on replace.
	with := func(k string, v any) obj {
		b := profileBody("new", web)
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	fields := []struct {
		name   string
		body   any
		status int
		field  string
		msg    string // part of the field's message
	}{
		{"name: number", raw(`{"name":1,"lifetime":"1h","unlimited":true}`), 400, "name", "must be a string"},
		{"name: missing", with("name", nil), 422, "name", "is required"},
		{"name: blank", with("name", "  "), 422, "name", "is required"},
		{"name: 101 characters", with("name", strings.Repeat("é", 101)), 422, "name", "1 to 100 characters"},
		{"name: control character", with("name", "a\tb"), 422, "name", "control or invisible"},
		{"name: taken", with("name", "LINUX"), 409, "name", "already exists"},
		{"labels: not an array", raw(`{"name":"n","labels":"web","lifetime":"1h","unlimited":true}`), 400, "labels", "must be an array"},
		{"labels: not strings", raw(`{"name":"n","labels":[1],"lifetime":"1h","unlimited":true}`), 400, "labels", "must be a string"},
		{"labels: unknown id", with("labels", arr{web, newID()}), 422, "labels[1]", "not found"},
		{"labels: not an id", with("labels", arr{"role=web"}), 422, "labels[0]", `label "role=web" not found`},
		{"labels: two of a key", with("labels", arr{web, prod, db}), 422, "labels[2]", `second label of key "role"`},
		{"labels: one twice", with("labels", arr{web, web}), 422, "labels[1]", `second label of key "role"`},
		{"enforcement_mode: number", raw(`{"name":"n","enforcement_mode":1,"lifetime":"1h","unlimited":true}`), 400, "enforcement_mode", "must be a string"},
		{"enforcement_mode: unknown", with("enforcement_mode", "strict"), 422, "enforcement_mode", "must be one of idle, visibility_only, selective, full"},
		{"max_uses: string", raw(`{"name":"n","max_uses":"1","lifetime":"1h"}`), 400, "max_uses", "must be a number"},
		{"max_uses: fraction", raw(`{"name":"n","max_uses":1.5,"lifetime":"1h"}`), 400, "max_uses", ""},
		{"max_uses: zero", with("max_uses", 0), 422, "max_uses", "must be from 1 to 1000000"},
		{"max_uses: negative", with("max_uses", -3), 422, "max_uses", "must be from 1 to 1000000"},
		{"max_uses: too many", with("max_uses", 1000001), 422, "max_uses", "set unlimited: true"},
		{"max_uses: missing", with("max_uses", nil), 422, "max_uses", "is required"},
		{"max_uses: null", raw(`{"name":"n","max_uses":null,"lifetime":"1h"}`), 422, "max_uses", "is required"},
		{"unlimited: false alone", raw(`{"name":"n","unlimited":false,"lifetime":"1h"}`), 422, "max_uses", "or set unlimited: true"},
		{"unlimited: string", raw(`{"name":"n","unlimited":"yes","lifetime":"1h"}`), 400, "unlimited", "must be true or false"},
		{"unlimited: with max_uses", with("unlimited", true), 422, "unlimited", "cannot be true when max_uses is set"},
		{"lifetime: number", raw(`{"name":"n","unlimited":true,"lifetime":3600}`), 400, "lifetime", "must be a string"},
		{"lifetime: missing", with("lifetime", nil), 422, "lifetime", "is required"},
		{"lifetime: days", with("lifetime", "3d"), 422, "lifetime", `must be a duration such as 72h, 90m or 1h30m, got "3d"`},
		{"lifetime: too short", with("lifetime", "30s"), 422, "lifetime", "must be from 1m to 8760h"},
		{"lifetime: too long", with("lifetime", "8761h"), 422, "lifetime", "must be from 1m to 8760h"},
		{"lifetime: negative", with("lifetime", "-72h"), 422, "lifetime", "must be from 1m to 8760h"},
		{"lifetime: fraction of a second", with("lifetime", "1m0.5s"), 422, "lifetime", "whole number of seconds"},
		{"id: server's", with("id", newID()), 400, "id", "is not a known field"},
	}
	for _, f := range fields {
		for _, target := range []struct{ method, path string }{{"POST", api("pairing-profiles")}, {"PUT", profilePath(q)}} {
			t.Run(target.method+" "+f.name, func(t *testing.T) {
				t.Parallel()
				r := e.on(t).call(target.method, target.path, tok, f.body)
				wantProblem(t, r, f.status, f.field)
				if msgs := strings.Join(messagesOf(t, r, f.field), "; "); !strings.Contains(msgs, f.msg) {
					t.Errorf("%s: message %q, want it to say %q", f.field, msgs, f.msg)
				}
			})
		}
	}
	// Every bad field at once, each named.
	r := e.call("POST", api("pairing-profiles"), tok, obj{"name": "", "labels": arr{"x"}, "enforcement_mode": "x", "lifetime": "x"})
	if got := fieldsOf(t, r); r.status != 422 || !slices.Equal(got, []string{"name", "enforcement_mode", "max_uses", "lifetime", "labels[0]"}) {
		t.Errorf("all fields wrong: %d, fields %v", r.status, got)
	}

	// Ids that name nothing here: 404 on every route.
	unknown := newID()
	for _, c := range []struct{ method, path string }{
		{"GET", profilePath("nope")}, {"GET", profilePath(unknown)}, {"GET", profilePath(strings.ToUpper(p))},
		{"PUT", profilePath("nope")}, {"PUT", profilePath(unknown)},
		{"DELETE", profilePath("nope")}, {"DELETE", profilePath(unknown)},
		{"GET", profilePath("nope", "tokens")}, {"GET", profilePath(unknown, "tokens")},
		{"POST", profilePath("nope", "tokens")}, {"POST", profilePath(unknown, "tokens")},
		{"POST", profilePath("nope", "tokens", pTok, "revoke")},
		{"POST", profilePath(unknown, "tokens", pTok, "revoke")},
		{"POST", profilePath(p, "tokens", "nope", "revoke")},
		{"POST", profilePath(p, "tokens", unknown, "revoke")},
		{"POST", profilePath(p, "tokens", qTok, "revoke")}, // another profile's token
		{"POST", profilePath(p, "tokens", p, "revoke")},    // a profile id as a token id
	} {
		t.Run(fmt.Sprintf("404 %s %s", c.method, c.path), func(t *testing.T) {
			t.Parallel()
			var body any
			if c.method == "PUT" {
				body = profileBody("x")
			}
			wantProblem(t, e.on(t).call(c.method, c.path, tok, body), 404, "")
		})
	}

	// Query parameters.
	for _, c := range []struct{ path, field string }{
		{api("pairing-profiles?limit=abc"), "limit"},
		{api("pairing-profiles?limit=0"), "limit"},
		{api("pairing-profiles?cursor=%21"), "cursor"},
		{profilePath(p, "tokens?limit=201"), "limit"},
		{profilePath(p, "tokens?cursor=bm9wZQ"), "cursor"},
	} {
		t.Run("GET "+c.path, func(t *testing.T) {
			t.Parallel()
			wantProblem(t, e.on(t).call("GET", c.path, tok, nil), 400, c.field)
		})
	}

	t.Cleanup(func() {
		if after := e.must(200, "GET", api("pairing-profiles"), tok, nil).body; string(after) != string(profilesBefore) {
			t.Errorf("bad input changed the profiles:\n%s\n%s", profilesBefore, after)
		}
		if n := e.tokenRows(o); n != tokensBefore {
			t.Errorf("bad input changed the tokens: %d rows, want %d", n, tokensBefore)
		}
		ts, _ := e.pairingTokens(tok, p)
		if len(ts) != 1 || ts[0].State != "active" {
			t.Errorf("bad input changed profile linux's tokens: %+v", ts)
		}
	})
}
