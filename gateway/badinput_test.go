package gateway_test

import (
	"strings"
	"testing"
)

// TestBadInput sends every endpoint that takes input each kind of bad
// input and expects a 4xx problem naming the offending field — and no
// change: the last step of each row checks that nothing was written.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	o := e.populate(e.signup("Inputs"))
	existing := uniqueEmail("taken")
	e.must(201, "POST", "/api/v1/users", o.owner, map[string]string{"email": existing, "password": testPassword, "role": "viewer"})
	target := o.users["viewer"]
	huge := raw(`{"organization":"` + strings.Repeat("a", 1<<20) + `"}`)

	type row struct {
		name         string
		method, path string
		body         any
		status       int
		field        string
	}
	// Every JSON endpoint gets the generic cases.
	endpoints := []struct{ method, path, token, field string }{
		{"POST", "/api/v1/signup", "", "organization"},
		{"POST", "/api/v1/auth/login", "", "email"},
		{"POST", "/api/v1/auth/refresh", "", "refresh_token"},
		{"POST", "/api/v1/auth/logout", "", "refresh_token"},
		{"POST", "/api/v1/users", o.owner, "email"},
		{"PATCH", "/api/v1/users/" + target, o.owner, "email"},
		{"POST", "/api/v1/api-keys", o.owner, "name"},
		{"DELETE", "/api/v1/tenant", o.owner, "confirm"},
	}
	for _, ep := range endpoints {
		rows := []row{
			{"malformed json", ep.method, ep.path, raw(`{"` + ep.field + `": `), 400, "body"},
			{"not json", ep.method, ep.path, raw(`hello`), 400, "body"},
			{"empty body", ep.method, ep.path, raw(``), 400, "body"},
			{"array", ep.method, ep.path, raw(`[]`), 400, "body"},
			{"two objects", ep.method, ep.path, raw(`{} {}`), 400, "body"},
			{"unknown field", ep.method, ep.path, raw(`{"` + ep.field + `":"x","is_admin":true}`), 400, "is_admin"},
			{"wrong type", ep.method, ep.path, raw(`{"` + ep.field + `":42}`), 400, ep.field},
			{"oversize", ep.method, ep.path, huge, 413, "body"},
		}
		for _, r := range rows {
			t.Run(ep.method+" "+ep.path+"/"+r.name, func(t *testing.T) {
				wantProblem(t, e.call(r.method, r.path, ep.token, r.body), r.status, r.field)
			})
		}
		t.Run(ep.method+" "+ep.path+"/content type", func(t *testing.T) {
			wantProblem(t, e.call(ep.method, ep.path, ep.token, raw(`{}`), "Content-Type", "text/plain"), 415, "")
		})
	}

	signup := func(org, email, pw string) map[string]string {
		return map[string]string{"organization": org, "email": email, "password": pw}
	}
	specific := []row{
		{"signup bad email", "POST", "/api/v1/signup", signup("X", "not-an-email", testPassword), 422, "email"},
		{"signup email with name", "POST", "/api/v1/signup", signup("X", "Bob <bob@example.com>", testPassword), 422, "email"},
		{"signup short password", "POST", "/api/v1/signup", signup("X", uniqueEmail("s"), "elevenchars"), 422, "password"},
		{"signup empty organization", "POST", "/api/v1/signup", signup("", uniqueEmail("s"), testPassword), 422, "organization"},
		{"signup long organization", "POST", "/api/v1/signup", signup(strings.Repeat("o", 101), uniqueEmail("s"), testPassword), 422, "organization"},
		{"signup missing fields", "POST", "/api/v1/signup", map[string]string{}, 422, "email"},
		{"duplicate signup", "POST", "/api/v1/signup", signup("Dup", strings.ToUpper(existing), testPassword), 409, "email"},
		{"login missing password", "POST", "/api/v1/auth/login", map[string]string{"email": existing}, 422, "password"},
		{"refresh missing token", "POST", "/api/v1/auth/refresh", map[string]string{}, 422, "refresh_token"},
		{"logout missing token", "POST", "/api/v1/auth/logout", map[string]string{}, 422, "refresh_token"},
		{"create user bad email", "POST", "/api/v1/users", map[string]string{"email": "x@", "password": testPassword, "role": "viewer"}, 422, "email"},
		{"create user short password", "POST", "/api/v1/users", map[string]string{"email": uniqueEmail("u"), "password": "short", "role": "viewer"}, 422, "password"},
		{"create user bad role", "POST", "/api/v1/users", map[string]string{"email": uniqueEmail("u"), "password": testPassword, "role": "root"}, 422, "role"},
		{"create user duplicate email", "POST", "/api/v1/users", map[string]string{"email": existing, "password": testPassword, "role": "viewer"}, 409, "email"},
		{"update user bad email", "PATCH", "/api/v1/users/" + target, map[string]string{"email": "nope"}, 422, "email"},
		{"update user bad role", "PATCH", "/api/v1/users/" + target, map[string]string{"role": "god"}, 422, "role"},
		{"update user nothing", "PATCH", "/api/v1/users/" + target, map[string]string{}, 422, "body"},
		{"update user taken email", "PATCH", "/api/v1/users/" + target, map[string]string{"email": existing}, 409, "email"},
		{"api key no name", "POST", "/api/v1/api-keys", map[string]string{"role": "viewer"}, 422, "name"},
		{"api key bad role", "POST", "/api/v1/api-keys", map[string]string{"name": "k", "role": "superuser"}, 422, "role"},
		{"api key past expiry", "POST", "/api/v1/api-keys", map[string]string{"name": "k", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"}, 422, "expires_at"},
		{"api key bad expiry", "POST", "/api/v1/api-keys", map[string]string{"name": "k", "role": "viewer", "expires_at": "tomorrow"}, 400, "body"},
		{"delete tenant no confirm", "DELETE", "/api/v1/tenant", map[string]string{}, 422, "confirm"},
		{"delete tenant wrong confirm", "DELETE", "/api/v1/tenant", map[string]string{"confirm": "inputs"}, 422, "confirm"},
		{"list users bad limit", "GET", "/api/v1/users?limit=0", nil, 400, "limit"},
		{"list users huge limit", "GET", "/api/v1/users?limit=201", nil, 400, "limit"},
		{"list users bad cursor", "GET", "/api/v1/users?cursor=%21%21", nil, 400, "cursor"},
		{"list users malformed query", "GET", "/api/v1/users?cursor=%%%", nil, 400, "query"},
		{"list keys bad limit", "GET", "/api/v1/api-keys?limit=abc", nil, 400, "limit"},
		{"list keys bad cursor", "GET", "/api/v1/api-keys?cursor=bm9wZQ", nil, 400, "cursor"},
		{"user id not a uuid", "GET", "/api/v1/users/1%20or%201=1", nil, 404, ""},
		{"key id not a uuid", "DELETE", "/api/v1/api-keys/..%2F..", nil, 404, ""},
		{"unknown user", "PATCH", "/api/v1/users/00000000-0000-4000-8000-000000000000", map[string]string{"role": "viewer"}, 404, ""},
	}
	for _, r := range specific {
		t.Run(r.name, func(t *testing.T) {
			wantProblem(t, e.call(r.method, r.path, o.owner, r.body), r.status, r.field)
		})
	}

	// Nothing above changed anything: same users, same keys, same tenant.
	users := decode[struct {
		Items []struct{ ID, Email, Role string }
	}](t, e.must(200, "GET", "/api/v1/users", o.owner, nil))
	if len(users.Items) != 5 {
		t.Errorf("bad input changed the user list: %d users", len(users.Items))
	}
	for _, u := range users.Items {
		if u.ID == target && (u.Role != "viewer" || strings.HasPrefix(u.Email, "taken")) {
			t.Errorf("bad input changed user %+v", u)
		}
	}
	if n := len(decode[struct{ Items []any }](t, e.must(200, "GET", "/api/v1/api-keys", o.owner, nil)).Items); n != 4 {
		t.Errorf("bad input changed the key list: %d keys", n)
	}
	e.must(200, "GET", "/api/v1/tenant", o.owner, nil)
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	o := e.signup("Pages")
	for i := 0; i < 4; i++ {
		e.must(201, "POST", "/api/v1/users", o.owner, map[string]string{"email": uniqueEmail("p"), "password": testPassword, "role": "viewer"})
	}
	seen := map[string]bool{}
	path, pages := "/api/v1/users?limit=2", 0
	for path != "" {
		p := decode[struct {
			Items      []struct{ ID string }
			NextCursor *string `json:"next_cursor"`
		}](t, e.must(200, "GET", path, o.owner, nil))
		pages++
		for _, u := range p.Items {
			if seen[u.ID] {
				t.Fatalf("user %s on two pages", u.ID)
			}
			seen[u.ID] = true
		}
		path = ""
		if p.NextCursor != nil {
			path = "/api/v1/users?limit=2&cursor=" + *p.NextCursor
		}
	}
	if len(seen) != 5 || pages != 3 {
		t.Fatalf("paged %d users in %d pages, want 5 in 3", len(seen), pages)
	}
}
