package gateway_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/remora-sec/remora/tenants"
)

// TestPolicyRoleMatrix calls every policy route as every role, with a
// user's access token and with an API key, and expects the role table of
// the contract: viewers read and check flows; editors also write labels,
// workloads and the draft, revert and import; admins and owners also
// provision and roll back. No credentials is 401 everywhere.
func TestPolicyRoleMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.populate(e.signup("Policy roles"))
	own := o.owner
	fx := e.world(own)
	e.create(own, "label-groups", groupBody("tiers", "role", fx.web, fx.db))
	e.create(own, "ip-lists", ipListBody("corp", "192.168.0.0/16"))
	e.provision(own, "v1") // one object of each kind

	n := 0
	uniq := func(prefix string) string { n++; return fmt.Sprintf("%s%d", prefix, n) }
	// Each case builds its own target (as the owner), so cells do not
	// disturb each other.
	newLabel := func() string { return e.label(own, "loc", uniq("site-")) }
	newWorkload := func() string { return e.workload(own, uniq("host-"), "", "") }
	kinds := versionedKinds(fx)
	type req struct {
		method, path string
		body         any
	}
	const (
		read  = iota // viewer and up
		write        // editor and up
		admin        // admin and up
	)
	// level's statuses for viewer, editor, admin and owner, ok the success.
	level := func(lv, ok int) [4]int {
		switch lv {
		case read:
			return [4]int{ok, ok, ok, ok}
		case write:
			return [4]int{403, ok, ok, ok}
		}
		return [4]int{403, 403, ok, ok}
	}
	type cell struct {
		name  string
		level int
		ok    int
		req   func() req
	}
	cells := []cell{
		{"list dimensions", read, 200, func() req { return req{"GET", api("label-dimensions"), nil} }},
		{"create dimension", write, 201, func() req { return req{"POST", api("label-dimensions"), obj{"key": uniq("k")}} }},
		{"delete dimension", write, 204, func() req {
			k := uniq("d")
			e.must(201, "POST", api("label-dimensions"), own, obj{"key": k})
			return req{"DELETE", api("label-dimensions", k), nil}
		}},
		{"list labels", read, 200, func() req { return req{"GET", api("labels"), nil} }},
		{"get label", read, 200, func() req { return req{"GET", api("labels", fx.web), nil} }},
		{"create label", write, 201, func() req { return req{"POST", api("labels"), obj{"key": "loc", "value": uniq("new-")}} }},
		{"update label", write, 200, func() req { return req{"PUT", api("labels", newLabel()), obj{"key": "loc", "value": uniq("renamed-")}} }},
		{"delete label", write, 204, func() req { return req{"DELETE", api("labels", newLabel()), nil} }},
		{"list workloads", read, 200, func() req { return req{"GET", api("workloads"), nil} }},
		{"get workload", read, 200, func() req { return req{"GET", api("workloads", fx.webW), nil} }},
		{"create workload", write, 201, func() req { return req{"POST", api("workloads"), obj{"name": uniq("w")}} }},
		{"update workload", write, 200, func() req { return req{"PUT", api("workloads", newWorkload()), obj{"name": uniq("w")}} }},
		{"delete workload", write, 204, func() req { return req{"DELETE", api("workloads", newWorkload()), nil} }},
		{"bulk-create workloads", write, 201, func() req {
			return req{"POST", api("workloads", "bulk-create"), obj{"items": arr{obj{"name": uniq("b")}}}}
		}},
		{"bulk-update workloads", write, 200, func() req {
			return req{"POST", api("workloads", "bulk-update"), obj{"items": arr{obj{"id": newWorkload(), "name": uniq("b")}}}}
		}},
		{"bulk-delete workloads", write, 200, func() req {
			return req{"POST", api("workloads", "bulk-delete"), obj{"ids": arr{newWorkload()}}}
		}},
		{"list versions", read, 200, func() req { return req{"GET", api("policy", "versions"), nil} }},
		{"get version", read, 200, func() req { return req{"GET", api("policy", "versions", "1"), nil} }},
		{"diff", read, 200, func() req { return req{"GET", api("policy", "diff?from=1&to=draft"), nil} }},
		{"export", read, 200, func() req { return req{"GET", api("policy", "export?version=1"), nil} }},
		{"check", read, 200, func() req { return req{"POST", api("policy", "check"), flow(fx.webW, fx.dbW)} }},
		{"check batch", read, 200, func() req {
			return req{"POST", api("policy", "check", "batch"), obj{"version": "draft", "flows": arr{flow(fx.webIP, fx.dbW)}}}
		}},
		{"revert", write, 200, func() req { return req{"POST", api("policy", "revert"), nil} }},
		{"import", write, 200, func() req {
			doc := decode[document](t, e.must(200, "GET", api("policy", "export?version=draft"), own, nil))
			return req{"POST", api("policy", "import"), doc}
		}},
		{"provision", admin, 201, func() req {
			e.create(own, "services", serviceBody(uniq("pending-"), tcp(1)))
			return req{"POST", api("policy", "provision"), obj{"note": "by role"}}
		}},
		{"rollback", admin, 201, func() req {
			// Make version 1 differ from the active one, with nothing pending.
			e.must(200, "POST", api("policy", "revert"), own, nil)
			e.create(own, "services", serviceBody(uniq("newer-"), tcp(1)))
			e.provision(own, "newer")
			return req{"POST", api("policy", "rollback"), obj{"version": 1}}
		}},
	}
	for _, k := range kinds {
		newObject := func() string { return e.create(own, k.path, k.body(uniq(k.kind+"-"))) }
		cells = append(cells,
			cell{"list " + k.path, read, 200, func() req { return req{"GET", api(k.path + "?version=active"), nil} }},
			cell{"get " + k.path, read, 200, func() req {
				return req{"GET", api(k.path, pageIDs(t, e.must(200, "GET", api(k.path+"?version=1"), own, nil))[0]) + "?version=1", nil}
			}},
			cell{"create " + k.path, write, 201, func() req { return req{"POST", api(k.path), k.body(uniq(k.kind + "-"))} }},
			cell{"update " + k.path, write, 200, func() req { return req{"PUT", api(k.path, newObject()), k.body(uniq(k.kind + "-"))} }},
			cell{"delete " + k.path, write, 204, func() req { return req{"DELETE", api(k.path, newObject()), nil} }},
		)
	}

	creds := map[string]map[tenants.Role]string{"jwt": o.tokens, "api key": o.keys}
	for _, kind := range []string{"jwt", "api key"} {
		for _, c := range cells {
			for i, role := range tenants.Roles {
				t.Run(fmt.Sprintf("%s/%s/%s", kind, c.name, role), func(t *testing.T) {
					rq := c.req()
					r := e.on(t).call(rq.method, rq.path, creds[kind][role], rq.body)
					if w := level(c.level, c.ok)[i]; r.status != w {
						t.Errorf("%s %s as %s (%s): status %d, want %d: %s", rq.method, rq.path, role, kind, r.status, w, r.body)
					}
					if r.status == 403 && !strings.Contains(string(r.body), "role") {
						t.Errorf("403 does not say which role is needed: %s", r.body)
					}
				})
			}
		}
	}
	for _, c := range cells {
		t.Run("anonymous/"+c.name, func(t *testing.T) {
			rq := c.req()
			wantProblem(t, e.on(t).call(rq.method, rq.path, "", rq.body), 401, "")
			wantProblem(t, e.on(t).call(rq.method, rq.path, "not-a-token", rq.body), 401, "")
		})
	}

	// Provisions by a user name the user; by an API key, the key.
	vs := decode[page[versionOut]](t, e.must(200, "GET", api("policy", "versions?limit=200"), own, nil)).Items
	var byUser, byKey bool
	for _, v := range vs {
		switch {
		case v.ProvisionedBy != nil && v.APIKey == nil:
			byUser = byUser || *v.ProvisionedBy == o.users[tenants.Admin]
		case v.APIKey != nil && v.ProvisionedBy == nil:
			byKey = byKey || *v.APIKey == o.keyIDs[tenants.Admin]
		default:
			t.Errorf("version %d names both or neither author: %+v", v.Version, v)
		}
	}
	if !byUser || !byKey {
		t.Errorf("no version names the admin user (%v) or the admin key (%v)", byUser, byKey)
	}
}
