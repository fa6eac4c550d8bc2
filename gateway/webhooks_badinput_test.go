package gateway_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestWebhookBadInput sends every webhook endpoint that takes a body
// malformed ones, each field of a webhook wrong in type and in value, and
// the lists bad query parameters. Each answer names the field and the
// reason; nothing is written.
func TestWebhookBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.signup("Bad hooks")
	tok := o.owner
	h := e.webhook(tok, hookBody("h", "workload.*"))
	d := e.ping(tok, h.ID)
	before := e.must(200, "GET", api("webhooks"), tok, nil).body
	eventsBefore := len(e.storedEvents(o.tenant, "%"))
	huge := raw(`{"url":"` + strings.Repeat("a", 1<<20) + `"}`)

	// Malformed bodies; field is one of the body's and wrong a JSON value
	// of the wrong type for it ("" for the bodies that have no fields).
	endpoints := []struct{ method, path, field, wrong string }{
		{"POST", api("webhooks"), "url", `42`},
		{"PATCH", hookPath(h.ID), "event_types", `"workload.*"`},
		{"POST", hookPath(h.ID, "rotate-secret"), "", ""},
		{"POST", hookPath(h.ID, "test"), "", ""},
		{"POST", hookPath(h.ID, "deliveries", d.ID, "redeliver"), "", ""},
	}
	type row struct {
		name   string
		body   raw
		status int
		field  string
	}
	for _, ep := range endpoints {
		rows := []row{
			{"malformed json", `{"url": `, 400, "body"},
			{"not json", `hello`, 400, "body"},
			{"array", `[]`, 400, "body"},
			{"two objects", `{} {}`, 400, "body"},
			{"unknown field", `{"secret":"whsec_mine"}`, 400, "secret"},
			{"oversize", huge, 413, "body"},
		}
		if ep.field != "" {
			rows = append(rows, row{"wrong type", raw(`{"` + ep.field + `":` + ep.wrong + `}`), 400, ep.field},
				row{"empty body", ``, 400, "body"})
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

	// Each field wrong in value: 422 naming it, on create and on PATCH
	// (where given). A body missing its required fields names each.
	with := func(k string, v any) obj {
		b := hookBody("x", "workload.*")
		b[k] = v
		return b
	}
	globs := func(n int) arr {
		out := arr{}
		for i := range n {
			out = append(out, fmt.Sprintf("type_%c.*", 'a'+i))
		}
		return out
	}
	values := []struct {
		name   string
		field  string
		value  any
		fields []string // the fields the problem names, in order
		msg    string   // in the first field's message
	}{
		{"empty url", "url", "", []string{"url"}, "must not be empty"},
		{"http url", "url", "http://" + publicHost + "/", []string{"url"}, "must be an https URL"},
		{"not a url", "url", "https://[::1/", []string{"url"}, "is not a valid URL"},
		{"user info", "url", "https://u:p@" + publicHost + "/", []string{"url"}, "user name or password"},
		{"long url", "url", "https://" + publicHost + "/" + strings.Repeat("a", 2048), []string{"url"}, "at most 2048"},
		{"unresolvable", "url", "https://nowhere.example.test/", []string{"url"}, "does not resolve"},
		{"metadata name", "url", "https://metadata.google.internal/", []string{"url"}, "cloud metadata"},
		{"no event types", "event_types", arr{}, []string{"event_types"}, "at least one"},
		{"21 event types", "event_types", globs(21), []string{"event_types"}, "at most 20"},
		{"bad glob", "event_types", arr{"workload.*", "Workload.*", "a b"}, []string{"event_types[1]", "event_types[2]"}, "not an event type glob"},
		{"glob matching nothing", "event_types", arr{"workload"}, []string{"event_types[0]"}, "matches no event type"},
		{"repeated glob", "event_types", arr{"*", "*"}, []string{"event_types[1]"}, "repeats event_types[0]"},
		{"long description", "description", strings.Repeat("é", 501), []string{"description"}, "at most 500"},
	}
	for _, v := range values {
		t.Run("create/"+v.name, func(t *testing.T) {
			t.Parallel()
			r := e.on(t).call("POST", api("webhooks"), tok, with(v.field, v.value))
			wantFields(t, r, v.fields, v.msg)
		})
		t.Run("patch/"+v.name, func(t *testing.T) {
			t.Parallel()
			r := e.on(t).call("PATCH", hookPath(h.ID), tok, obj{v.field: v.value})
			wantFields(t, r, v.fields, v.msg)
		})
	}
	t.Run("create/nothing", func(t *testing.T) {
		r := e.on(t).call("POST", api("webhooks"), tok, obj{})
		wantFields(t, r, []string{"url", "event_types"}, "")
	})
	t.Run("create/every field wrong", func(t *testing.T) {
		r := e.on(t).call("POST", api("webhooks"), tok, obj{"url": "ftp://x", "event_types": arr{"X"}, "description": strings.Repeat("d", 501)})
		wantFields(t, r, []string{"url", "event_types[0]", "description"}, "")
	})

	for _, q := range []struct{ query, field string }{{"limit=0", "limit"}, {"limit=201", "limit"}, {"limit=x", "limit"}, {"cursor=!!", "cursor"}} {
		for _, path := range []string{api("webhooks"), hookPath(h.ID, "deliveries")} {
			t.Run("GET "+path+"?"+q.query, func(t *testing.T) {
				t.Parallel()
				wantProblem(t, e.on(t).call("GET", path+"?"+q.query, tok, nil), 400, q.field)
			})
		}
	}
	// Malformed ids are unknown ids.
	for _, p := range []string{hookPath("not-a-uuid"), hookPath(strings.ToUpper(h.ID)), hookPath(h.ID, "deliveries", "nope", "redeliver")} {
		method := "GET"
		if strings.HasSuffix(p, "redeliver") {
			method = "POST"
		}
		wantProblem(t, e.call(method, p, tok, nil), 404, "")
	}

	t.Cleanup(func() {
		if after := e.must(200, "GET", api("webhooks"), tok, nil).body; string(after) != string(before) {
			t.Errorf("bad input changed the webhooks:\n%s\n%s", before, after)
		}
		if n := len(e.storedEvents(o.tenant, "%")); n != eventsBefore {
			t.Errorf("bad input emitted %d events", n-eventsBefore)
		}
	})
}

// TestWebhookSSRFAtCreation is the SSRF matrix when a webhook is
// saved: each target, by address or by a name resolving to it, is refused
// on field url, on create and on update, by the server's strict guard.
func TestWebhookSSRFAtCreation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.signup("SSRF")
	h := e.webhook(o.owner, hookBody("ok", "workload.*"))
	for _, tt := range []struct{ host, reason string }{
		{"127.0.0.1", "a loopback address"},
		{"10.0.0.1", "a private address"},
		{"169.254.169.254", "the cloud metadata address"},
		{"[::1]", "a loopback address"},
		{"[fd00::1]", "a private (unique local) address"},
		{privateHost, "resolves to a private address"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"[::ffff:127.0.0.1]", "IPv4-mapped"},
	} {
		url := "https://" + tt.host + ":8443/hook"
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			e := e.on(t)
			wantFields(t, e.call("POST", api("webhooks"), o.owner, obj{"url": url, "event_types": arr{"*"}}), []string{"url"}, tt.reason)
			wantFields(t, e.call("PATCH", hookPath(h.ID), o.owner, obj{"url": url}), []string{"url"}, tt.reason)
		})
	}
	t.Cleanup(func() {
		if got := decode[page[webhookOut]](t, e.must(200, "GET", api("webhooks"), o.owner, nil)).Items; len(got) != 1 || got[0].URL != h.URL {
			t.Errorf("refused URLs were saved: %+v", got)
		}
	})
}

// wantFields asserts r is a 422 naming exactly fields, in order, the
// first one's message containing msg.
func wantFields(t *testing.T, r resp, fields []string, msg string) {
	t.Helper()
	wantProblem(t, r, 422, "")
	if got := fieldsOf(t, r); !slices.Equal(got, fields) {
		t.Fatalf("fields %v, want %v: %s", got, fields, r.body)
	}
	if m := messagesOf(t, r, fields[0]); !strings.Contains(m[0], msg) {
		t.Fatalf("%s: %q, want it to contain %q", fields[0], m[0], msg)
	}
}
