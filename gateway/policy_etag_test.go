package gateway_test

import (
	"slices"
	"sync"
	"testing"
)

// TestPolicyIfMatch: every editable resource answers PUT and DELETE with a
// stale If-Match by 412 and changes nothing; the current ETag, "*" or a
// list holding the current ETag pass. Weak tags never match.
func TestPolicyIfMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("ETags").owner
	fx := e.world(tok)

	type resource struct {
		path string
		body func(n int) obj // a valid body, differing with n
	}
	resources := []resource{
		{"labels", func(n int) obj { return obj{"key": "loc", "value": "site-" + string(rune('a'+n))} }},
		{"workloads", func(n int) obj { return workloadBody("host-"+string(rune('a'+n)), "idle", "", fx.web) }},
	}
	for _, k := range versionedKinds(fx) {
		resources = append(resources, resource{k.path, func(n int) obj { return k.body(k.kind + "-" + string(rune('a'+n))) }})
	}
	for _, res := range resources {
		t.Run(res.path, func(t *testing.T) {
			t.Parallel()
			e := e.on(t)
			r := e.must(201, "POST", api(res.path), tok, res.body(0))
			id, v1 := decode[idOnly](t, r).ID, etagOf(t, r)
			item := api(res.path, id)
			v2 := etagOf(t, e.must(200, "PUT", item, tok, res.body(1)))
			if v2 == v1 {
				t.Fatalf("ETag %s unchanged by PUT", v1)
			}
			current := func() string { return etagOf(t, e.must(200, "GET", item, tok, nil)) }

			// Stale or weak: 412, nothing changes.
			for _, tag := range []string{v1, "W/" + v2, `"0"`, "garbage"} {
				wantProblem(t, e.call("PUT", item, tok, res.body(2), "If-Match", tag), 412, "If-Match")
				wantProblem(t, e.call("DELETE", item, tok, nil, "If-Match", tag), 412, "If-Match")
			}
			if got := current(); got != v2 {
				t.Fatalf("a refused write changed the ETag %s → %s", v2, got)
			}

			// Current, "*" and a list holding the current tag pass.
			v3 := etagOf(t, e.putIfMatch(t, item, tok, res.body(3), v2))
			v4 := etagOf(t, e.putIfMatch(t, item, tok, res.body(4), "*"))
			v5 := etagOf(t, e.putIfMatch(t, item, tok, res.body(5), v1+", "+v4))
			if v3 == v2 || v4 == v3 || v5 == v4 || current() != v5 {
				t.Fatalf("ETags %s %s %s %s", v2, v3, v4, v5)
			}

			// Racing writers holding the same ETag: exactly one wins.
			const racers = 8
			statuses := make([]int, racers)
			var wg sync.WaitGroup
			for i := range racers {
				wg.Go(func() { statuses[i] = e.call("PUT", item, tok, res.body(10+i), "If-Match", v5).status })
			}
			wg.Wait()
			slices.Sort(statuses)
			if statuses[0] != 200 || statuses[1] != 412 || statuses[racers-1] != 412 {
				t.Fatalf("%d PUTs with one ETag: statuses %v, want one 200 and the rest 412", racers, statuses)
			}
			v6 := current()

			wantProblem(t, e.call("DELETE", item, tok, nil, "If-Match", v5), 412, "If-Match")
			if r := e.call("DELETE", item, tok, nil, "If-Match", v6); r.status != 204 {
				t.Fatalf("DELETE with the current ETag: %d %s", r.status, r.body)
			}
			// Gone: 404, whatever the precondition.
			wantProblem(t, e.call("PUT", item, tok, res.body(6), "If-Match", v6), 404, "")
			wantProblem(t, e.call("DELETE", item, tok, nil, "If-Match", "*"), 404, "")
		})
	}
}

// putIfMatch is a PUT with If-Match that must succeed.
func (e *env) putIfMatch(t *testing.T, path, tok string, body obj, ifMatch string) resp {
	t.Helper()
	r := e.call("PUT", path, tok, body, "If-Match", ifMatch)
	if r.status != 200 {
		t.Fatalf("PUT %s with If-Match %s: %d %s", path, ifMatch, r.status, r.body)
	}
	return r
}
