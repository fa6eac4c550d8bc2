package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/remora-sec/remora/tenants"
)

// accessReq is one request of an access matrix; accessCell a route with
// the status an admin gets, its request built fresh for every caller (as
// the owner), so cells never disturb each other.
type (
	accessReq struct {
		method, path string
		body         any
	}
	accessCell struct {
		name string
		ok   int
		req  func() accessReq
	}
)

// adminOnlyMatrix calls every cell as every role of o, with a JWT and with
// an API key, and anonymously: admins and owners get the cell's status,
// the others 403 naming the role needed, the anonymous 401.
func (e *env) adminOnlyMatrix(t *testing.T, o *org, cells []accessCell) {
	creds := map[string]map[tenants.Role]string{"jwt": o.tokens, "api key": o.keys}
	for _, kind := range []string{"jwt", "api key"} {
		for _, c := range cells {
			for _, role := range tenants.Roles {
				want := c.ok
				if !role.AtLeast(tenants.Admin) {
					want = http.StatusForbidden
				}
				t.Run(fmt.Sprintf("%s/%s/%s", kind, c.name, role), func(t *testing.T) {
					rq := c.req()
					r := e.on(t).call(rq.method, rq.path, creds[kind][role], rq.body)
					if r.status != want {
						t.Fatalf("%s %s as %s (%s): status %d, want %d: %s", rq.method, rq.path, role, kind, r.status, want, r.body)
					}
					if want == http.StatusForbidden && !strings.Contains(string(r.body), "admin role") {
						t.Errorf("403 does not say which role is needed: %s", r.body)
					}
				})
			}
			t.Run(kind+"/"+c.name+"/anonymous", func(t *testing.T) {
				rq := c.req()
				wantProblem(t, e.on(t).call(rq.method, rq.path, "", rq.body), http.StatusUnauthorized, "")
			})
		}
	}
}
