package gateway_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/remora-sec/remora/tenants"
)

// TestCrossTenantIsolation: tenant B's strongest credentials, a JWT and an
// API key of its owner, get 404 on every one of tenant A's objects — the
// same answer as for an object that does not exist — and change nothing.
func TestCrossTenantIsolation(t *testing.T) {
	e := newEnv(t)
	a := e.populate(e.signup("Alpha"))
	b := e.populate(e.signup("Bravo"))

	aUser, aKey := a.users[tenants.Viewer], a.keyIDs[tenants.Viewer]
	attempts := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/users/" + aUser, nil},
		{"PATCH", "/api/v1/users/" + aUser, map[string]string{"email": uniqueEmail("stolen")}},
		{"PATCH", "/api/v1/users/" + aUser, map[string]string{"role": "owner"}},
		{"DELETE", "/api/v1/users/" + aUser, nil},
		{"GET", "/api/v1/users/" + a.ownerID, nil},
		{"DELETE", "/api/v1/users/" + a.ownerID, nil},
		{"GET", "/api/v1/api-keys/" + aKey, nil},
		{"DELETE", "/api/v1/api-keys/" + aKey, nil},
		{"DELETE", "/api/v1/api-keys/" + a.keyIDs[tenants.Owner], nil},
	}
	for _, cred := range []string{b.owner, b.keys[tenants.Owner]} {
		for _, at := range attempts {
			wantProblem(t, e.call(at.method, at.path, cred, at.body), http.StatusNotFound, "")
		}
		// B's lists hold only B's objects.
		users := decode[struct{ Items []struct{ ID string } }](t, e.must(200, "GET", "/api/v1/users", cred, nil))
		for _, u := range users.Items {
			if slices.Contains([]string{aUser, a.ownerID}, u.ID) {
				t.Errorf("tenant B lists tenant A's user %s", u.ID)
			}
		}
		keys := decode[struct{ Items []struct{ ID string } }](t, e.must(200, "GET", "/api/v1/api-keys", cred, nil))
		for _, k := range keys.Items {
			if k.ID == aKey {
				t.Errorf("tenant B lists tenant A's key %s", k.ID)
			}
		}
		if got := decode[struct{ ID string }](t, e.must(200, "GET", "/api/v1/tenant", cred, nil)).ID; got != b.tenant {
			t.Errorf("tenant B's credential sees tenant %s", got)
		}
	}
	// A's objects are untouched and A's credentials still work.
	u := decode[struct{ Role string }](t, e.must(200, "GET", "/api/v1/users/"+aUser, a.owner, nil))
	if u.Role != "viewer" {
		t.Errorf("tenant A's user changed: role %s", u.Role)
	}
	e.must(200, "GET", "/api/v1/api-keys/"+aKey, a.owner, nil)
	e.must(200, "GET", "/api/v1/tenant", a.keys[tenants.Viewer], nil)
}
