package gateway_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// This file holds the small literal helpers of the policy API tests
// (policy_*_test.go): request bodies written as JSON literals, the shapes
// the tests decode, and one-line creators for labels, workloads and the
// versioned objects. Bodies are maps, not compute/policy's types, so the
// tests send what a client sends and notice when the wire shape drifts.

// obj is a JSON object literal; arr a JSON array literal.
type (
	obj = map[string]any
	arr = []any
)

// on returns e reporting to t, so that subtests (parallel ones included)
// fail themselves rather than the test that made the env.
func (e *env) on(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// Shapes of answers, as far as the tests look at them.
type (
	idOnly struct {
		ID string `json:"id"`
	}
	warning struct {
		Field, Message string
	}
	// stored is any single-object answer of the policy API.
	stored struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
		Warnings  []warning `json:"warnings"`
	}
	labelOut struct {
		ID        string    `json:"id"`
		Key       string    `json:"key"`
		Value     string    `json:"value"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	workloadOut struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Hostname   string `json:"hostname"`
		Interfaces []struct {
			Name      string   `json:"name"`
			Addresses []string `json:"addresses"`
		} `json:"interfaces"`
		Labels    []string  `json:"labels"`
		Mode      string    `json:"enforcement_mode"`
		Managed   bool      `json:"managed"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	versionOut struct {
		Version       int       `json:"version"`
		Note          string    `json:"note"`
		ProvisionedAt time.Time `json:"provisioned_at"`
		ProvisionedBy *string   `json:"provisioned_by"`
		APIKey        *string   `json:"api_key"`
		RollbackOf    *int      `json:"rollback_of"`
		Changes       struct {
			Added, Changed, Removed int
		} `json:"changes"`
	}
	objectRef struct {
		Kind, ID, Name string
	}
	changes struct {
		Added   []objectRef `json:"added"`
		Changed []objectRef `json:"changed"`
		Removed []objectRef `json:"removed"`
	}
	diffOut struct {
		From string `json:"from"`
		To   string `json:"to"`
		changes
	}
	ruleRef struct {
		Ruleset, Rule string
	}
	checkOut struct {
		Decision string    `json:"decision"`
		Reason   string    `json:"reason"`
		Rules    []ruleRef `json:"rules"`
		Mode     string    `json:"enforcement_mode"`
		Version  string    `json:"version"`
	}
	importOut struct {
		DryRun        bool       `json:"dry_run"`
		LabelsCreated []labelOut `json:"labels_created"`
		Changes       changes    `json:"changes"`
		Warnings      []warning  `json:"warnings"`
	}
	page[T any] struct {
		Items      []T     `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
)

// api is the path of a resource under /api/v1.
func api(parts ...string) string { return "/api/v1/" + strings.Join(parts, "/") }

var strongETag = regexp.MustCompile(`^"[0-9]+"$`)

// etagOf returns r's ETag, failing the test unless it is a strong tag.
func etagOf(t *testing.T, r resp) string {
	t.Helper()
	tag := r.header.Get("ETag")
	if !strongETag.MatchString(tag) {
		t.Fatalf("ETag %q, want a strong tag like \"123\": %s", tag, r.body)
	}
	return tag
}

// fieldsOf lists the fields a problem names, in order.
func fieldsOf(t *testing.T, r resp) []string {
	t.Helper()
	var out []string
	for _, f := range decode[problem](t, r).Errors {
		out = append(out, f.Field)
	}
	return out
}

// messagesOf lists the messages of a problem's entries for field.
func messagesOf(t *testing.T, r resp, field string) []string {
	t.Helper()
	var out []string
	for _, f := range decode[problem](t, r).Errors {
		if f.Field == field {
			out = append(out, f.Message)
		}
	}
	return out
}

// hasKey reports whether r's body, a JSON object, has the key.
func hasKey(t *testing.T, r resp, key string) bool {
	t.Helper()
	_, ok := decode[map[string]json.RawMessage](t, r)[key]
	return ok
}

// wantWarning fails unless r carries a warning at field.
func wantWarning(t *testing.T, r resp, field string) {
	t.Helper()
	for _, w := range decode[stored](t, r).Warnings {
		if w.Field == field {
			return
		}
	}
	t.Fatalf("no warning at %q: %s", field, r.body)
}

// pageIDs lists the ids of a page of objects.
func pageIDs(t *testing.T, r resp) []string {
	t.Helper()
	var out []string
	for _, it := range decode[page[idOnly]](t, r).Items {
		out = append(out, it.ID)
	}
	return out
}

// label creates key=value and returns its id.
func (e *env) label(tok, key, value string) string {
	e.t.Helper()
	return decode[idOnly](e.t, e.must(http.StatusCreated, "POST", api("labels"), tok, obj{"key": key, "value": value})).ID
}

// workload creates a workload with one interface holding addr (none when
// addr is "") and returns its id.
func (e *env) workload(tok, name, mode, addr string, labels ...string) string {
	e.t.Helper()
	return decode[idOnly](e.t, e.must(http.StatusCreated, "POST", api("workloads"), tok, workloadBody(name, mode, addr, labels...))).ID
}

func workloadBody(name, mode, addr string, labels ...string) obj {
	b := obj{"name": name, "labels": strs(labels)}
	if mode != "" {
		b["enforcement_mode"] = mode
	}
	if addr != "" {
		b["interfaces"] = arr{obj{"name": "eth0", "addresses": arr{addr}}}
	}
	return b
}

// create POSTs body to the collection kind ("services", "rulesets"…) and
// returns the new object's id.
func (e *env) create(tok, kind string, body obj) string {
	e.t.Helper()
	return decode[idOnly](e.t, e.must(http.StatusCreated, "POST", api(kind), tok, body)).ID
}

// provision provisions objects (every pending change when none) and
// returns the new version.
func (e *env) provision(tok, note string, objects ...obj) versionOut {
	e.t.Helper()
	body := obj{"note": note}
	if len(objects) > 0 {
		body["objects"] = objects
	}
	return decode[versionOut](e.t, e.must(http.StatusCreated, "POST", api("policy", "provision"), tok, body))
}

// check asks /policy/check about one flow.
func (e *env) check(tok string, flow obj) checkOut {
	e.t.Helper()
	return decode[checkOut](e.t, e.must(http.StatusOK, "POST", api("policy", "check"), tok, flow))
}

// diff returns /policy/diff from→to ("" for the defaults).
func (e *env) diff(tok, query string) diffOut {
	e.t.Helper()
	return decode[diffOut](e.t, e.must(http.StatusOK, "GET", api("policy", "diff")+query, tok, nil))
}

// document is an export/import document, objects kept as decoded JSON so
// that the test compares what went over the wire.
type document struct {
	Labels      []obj `json:"labels"`
	LabelGroups []obj `json:"label_groups"`
	Services    []obj `json:"services"`
	IPLists     []obj `json:"ip_lists"`
	Rulesets    []obj `json:"rulesets"`
}

// newID is a fresh lowercase UUID, as a client writing a document by hand
// would mint one.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Literal builders of policy object bodies.

func strs(s []string) arr {
	out := arr{}
	for _, v := range s {
		out = append(out, v)
	}
	return out
}

func tcp(port int) obj        { return obj{"proto": "tcp", "port": port} }
func lbl(id string) obj       { return obj{"label": id} }
func grp(id string) obj       { return obj{"label_group": id} }
func ipl(id string) obj       { return obj{"ip_list": id} }
func svc(id string) obj       { return obj{"service": id} }
func wl(id string) obj        { return obj{"workload": id} }
func ref(kind, id string) obj { return obj{"kind": kind, "id": id} }
func scope(terms ...obj) arr  { return toArr(terms) }
func actors(as ...obj) arr    { return toArr(as) }
func services(ss ...obj) arr  { return toArr(ss) }
func flow(src, dst string) obj {
	return obj{"source": src, "destination": dst, "proto": "tcp", "port": 5432}
}

func toArr(os []obj) arr {
	out := arr{}
	for _, o := range os {
		out = append(out, o)
	}
	return out
}

func serviceBody(name string, ports ...obj) obj { return obj{"name": name, "ports": toArr(ports)} }

func ipListBody(name string, ranges ...string) obj {
	return obj{"name": name, "ranges": strs(ranges), "exclusions": arr{}}
}

func groupBody(name, key string, labels ...string) obj {
	return obj{"name": name, "key": key, "labels": strs(labels), "groups": arr{}}
}

func rule(action string, providers, consumers, svcs arr) obj {
	return obj{"action": action, "providers": providers, "consumers": consumers, "services": svcs}
}

// rulesetBody is a ruleset under scopes (each an arr of terms).
func rulesetBody(name string, scopes arr, rules ...obj) obj {
	return obj{"name": name, "scopes": scopes, "rules": toArr(rules)}
}

// world is a small shop: web and db workloads (full enforcement) labelled
// role=web|db, app=shop, env=prod; a postgres service; and a ruleset scoped
// to app=shop allowing web to reach db on it. Nothing is provisioned.
type world struct {
	web, db, shop, prod string // label ids
	webW, dbW           string // workload ids
	pg                  string // service id
	ruleset, rule       string // the ruleset and its one rule
	webIP, dbIP         string
}

func (e *env) world(tok string) world {
	e.t.Helper()
	w := world{webIP: "10.0.0.1", dbIP: "10.0.0.2"}
	w.web, w.db = e.label(tok, "role", "web"), e.label(tok, "role", "db")
	w.shop, w.prod = e.label(tok, "app", "shop"), e.label(tok, "env", "prod")
	w.webW = e.workload(tok, "web-1", "full", w.webIP, w.web, w.shop, w.prod)
	w.dbW = e.workload(tok, "db-1", "full", w.dbIP, w.db, w.shop, w.prod)
	w.pg = e.create(tok, "services", serviceBody("postgres", tcp(5432)))
	rs := decode[struct {
		ID    string
		Rules []struct{ ID string }
	}](e.t, e.must(http.StatusCreated, "POST", api("rulesets"), tok, rulesetBody("shop", arr{scope(lbl(w.shop))},
		rule("allow", actors(lbl(w.db)), actors(lbl(w.web)), services(svc(w.pg))))))
	w.ruleset, w.rule = rs.ID, rs.Rules[0].ID
	return w
}

// sameIDs fails unless got and want hold the same ids, in any order.
func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		t.Fatalf("%s: got %v, want %v", what, g, w)
	}
}

// refNames renders object refs as "kind:name" for compact comparisons.
func refNames(rs []objectRef) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s:%s", r.Kind, r.Name))
	}
	return out
}
