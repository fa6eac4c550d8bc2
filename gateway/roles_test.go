package gateway_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/remora-sec/remora/tenants"
)

// TestRoleMatrix calls every authenticated route as every role, once with a
// user's access token and once with an API key, and expects the status the
// role table promises: viewers read; admins manage users and keys; only
// owners change roles and delete the tenant.
func TestRoleMatrix(t *testing.T) {
	e := newEnv(t)
	o := e.populate(e.signup("Matrix"))

	// Each case builds its own target, so cells do not disturb each other.
	newViewer := func() string {
		return decode[struct{ ID string }](t, e.must(http.StatusCreated, "POST", "/api/v1/users", o.owner,
			map[string]string{"email": uniqueEmail("target"), "password": testPassword, "role": "viewer"})).ID
	}
	newKey := func() string {
		return decode[struct{ ID string }](t, e.must(http.StatusCreated, "POST", "/api/v1/api-keys", o.owner,
			map[string]string{"name": "target", "role": "viewer"})).ID
	}
	type req struct {
		method, path string
		body         any
	}
	cases := []struct {
		name string
		req  func() req
		want [4]int // viewer, editor, admin, owner
	}{
		{"get tenant", func() req { return req{"GET", "/api/v1/tenant", nil} }, [4]int{200, 200, 200, 200}},
		{"delete tenant (wrong confirm)", func() req {
			return req{"DELETE", "/api/v1/tenant", map[string]string{"confirm": "not the name"}}
		}, [4]int{403, 403, 403, 422}},
		{"list users", func() req { return req{"GET", "/api/v1/users", nil} }, [4]int{200, 200, 200, 200}},
		{"create user", func() req {
			return req{"POST", "/api/v1/users", map[string]string{"email": uniqueEmail("new"), "password": testPassword, "role": "viewer"}}
		}, [4]int{403, 403, 201, 201}},
		{"get user", func() req { return req{"GET", "/api/v1/users/" + o.users[tenants.Viewer], nil} }, [4]int{200, 200, 200, 200}},
		{"update user email", func() req {
			return req{"PATCH", "/api/v1/users/" + newViewer(), map[string]string{"email": uniqueEmail("moved")}}
		}, [4]int{403, 403, 200, 200}},
		{"update user role", func() req {
			return req{"PATCH", "/api/v1/users/" + newViewer(), map[string]string{"role": "editor"}}
		}, [4]int{403, 403, 403, 200}},
		{"delete user", func() req { return req{"DELETE", "/api/v1/users/" + newViewer(), nil} }, [4]int{403, 403, 204, 204}},
		{"list api keys", func() req { return req{"GET", "/api/v1/api-keys", nil} }, [4]int{403, 403, 200, 200}},
		{"create api key", func() req {
			return req{"POST", "/api/v1/api-keys", map[string]string{"name": "k", "role": "viewer"}}
		}, [4]int{403, 403, 201, 201}},
		{"get api key", func() req { return req{"GET", "/api/v1/api-keys/" + newKey(), nil} }, [4]int{403, 403, 200, 200}},
		{"delete api key", func() req { return req{"DELETE", "/api/v1/api-keys/" + newKey(), nil} }, [4]int{403, 403, 204, 204}},
	}
	creds := map[string]map[tenants.Role]string{"jwt": o.tokens, "api key": o.keys}
	for _, kind := range []string{"jwt", "api key"} {
		for _, c := range cases {
			for i, role := range tenants.Roles {
				t.Run(fmt.Sprintf("%s/%s/%s", kind, c.name, role), func(t *testing.T) {
					rq := c.req()
					r := e.call(rq.method, rq.path, creds[kind][role], rq.body)
					if r.status != c.want[i] {
						t.Errorf("%s %s as %s (%s): status %d, want %d: %s", rq.method, rq.path, role, kind, r.status, c.want[i], r.body)
					}
				})
			}
			t.Run(kind+"/"+c.name+"/anonymous", func(t *testing.T) {
				rq := c.req()
				wantProblem(t, e.call(rq.method, rq.path, "", rq.body), http.StatusUnauthorized, "")
			})
		}
	}

	// Deleting the tenant: owner only, and it takes everything with it.
	for _, role := range []tenants.Role{tenants.Viewer, tenants.Editor, tenants.Admin} {
		wantProblem(t, e.call("DELETE", "/api/v1/tenant", o.tokens[role], map[string]string{"confirm": o.name}), http.StatusForbidden, "")
	}
	e.must(http.StatusNoContent, "DELETE", "/api/v1/tenant", o.owner, map[string]string{"confirm": o.name})
	for _, tok := range []string{o.owner, o.tokens[tenants.Admin], o.keys[tenants.Owner], o.keys[tenants.Viewer]} {
		wantProblem(t, e.call("GET", "/api/v1/tenant", tok, nil), http.StatusUnauthorized, "")
	}
}

// TestObjectRules checks the rules the route table cannot express.
func TestObjectRules(t *testing.T) {
	e := newEnv(t)
	o := e.populate(e.signup("Rules"))
	admin := o.tokens[tenants.Admin]

	// Nobody grants a role above their own.
	wantProblem(t, e.call("POST", "/api/v1/users", admin, map[string]string{"email": uniqueEmail("x"), "password": testPassword, "role": "owner"}), 403, "")
	wantProblem(t, e.call("POST", "/api/v1/api-keys", admin, map[string]string{"name": "x", "role": "owner"}), 403, "")
	e.must(201, "POST", "/api/v1/api-keys", o.owner, map[string]string{"name": "x", "role": "owner"})
	// Admins leave owners alone.
	wantProblem(t, e.call("PATCH", "/api/v1/users/"+o.ownerID, admin, map[string]string{"email": uniqueEmail("y")}), 403, "")
	wantProblem(t, e.call("DELETE", "/api/v1/users/"+o.ownerID, admin, nil), 403, "")
	wantProblem(t, e.call("DELETE", "/api/v1/api-keys/"+o.keyIDs[tenants.Owner], admin, nil), 403, "")
	// The last owner stays.
	wantProblem(t, e.call("PATCH", "/api/v1/users/"+o.ownerID, o.owner, map[string]string{"role": "admin"}), 409, "")
	wantProblem(t, e.call("DELETE", "/api/v1/users/"+o.ownerID, o.owner, nil), 409, "")
	// A demotion takes effect on the very next request with the same token.
	e.must(200, "PATCH", "/api/v1/users/"+o.users[tenants.Admin], o.owner, map[string]string{"role": "viewer"})
	wantProblem(t, e.call("GET", "/api/v1/api-keys", admin, nil), 403, "")
	// A deleted user's token stops working at once.
	e.must(204, "DELETE", "/api/v1/users/"+o.users[tenants.Editor], o.owner, nil)
	wantProblem(t, e.call("GET", "/api/v1/tenant", o.tokens[tenants.Editor], nil), 401, "")
}
