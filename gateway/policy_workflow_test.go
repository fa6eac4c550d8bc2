package gateway_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestPolicyWorkflow walks the draft → provision → check → edit → diff →
// revert → provision → rollback cycle over HTTP, checking at each step
// what the active policy and the draft decide.
func TestPolicyWorkflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.signup("Workflow")
	tok := o.owner
	fx := e.world(tok)
	webToDB := flow(fx.webW, fx.dbW)
	draftFlow := func() obj { f := flow(fx.webW, fx.dbW); f["version"] = "draft"; return f }

	// Version 1: everything pending.
	v1 := e.provision(tok, "first cut")
	if v1.Version != 1 || v1.Note != "first cut" || v1.Changes.Added != 2 || v1.Changes.Changed+v1.Changes.Removed != 0 ||
		v1.ProvisionedBy == nil || *v1.ProvisionedBy != o.ownerID || v1.APIKey != nil || v1.RollbackOf != nil || v1.ProvisionedAt.IsZero() {
		t.Fatalf("version 1: %+v", v1)
	}
	if got := e.check(tok, webToDB); got.Decision != "allowed" || got.Reason != "allow" || !slices.Equal(got.Rules, []ruleRef{{fx.ruleset, fx.rule}}) || got.Version != "1" {
		t.Fatalf("active check after version 1: %+v", got)
	}
	if d := e.diff(tok, ""); d.From != "1" || d.To != "draft" || len(d.Added)+len(d.Changed)+len(d.Removed) != 0 {
		t.Fatalf("diff right after provisioning: %+v", d)
	}
	wantProblem(t, e.call("POST", api("policy", "provision"), tok, obj{"note": "again"}), 409, "")

	// Edit the draft: an override_deny from web to db. The draft blocks,
	// the active policy still allows.
	shopWith := func(extra ...obj) obj {
		rules := []obj{{"id": fx.rule, "action": "allow", "providers": actors(lbl(fx.db)), "consumers": actors(lbl(fx.web)), "services": services(svc(fx.pg))}}
		return rulesetBody("shop", arr{scope(lbl(fx.shop))}, append(rules, extra...)...)
	}
	deny := rule("override_deny", actors(wl(fx.dbW)), actors(lbl(fx.web)), services(tcp(5432)))
	edited := decode[struct{ Rules []struct{ ID, Action string } }](t, e.must(200, "PUT", api("rulesets", fx.ruleset), tok, shopWith(deny)))
	if len(edited.Rules) != 2 || edited.Rules[0].ID != fx.rule || edited.Rules[1].ID == "" {
		t.Fatalf("edited rules: %+v", edited.Rules)
	}
	denyID := edited.Rules[1].ID
	if got := e.check(tok, draftFlow()); got.Decision != "blocked" || got.Reason != "override_deny" || !slices.Equal(got.Rules, []ruleRef{{fx.ruleset, denyID}}) || got.Version != "draft" {
		t.Fatalf("draft check after the edit: %+v", got)
	}
	if got := e.check(tok, webToDB); got.Decision != "allowed" || got.Version != "1" {
		t.Fatalf("active check after a draft edit: %+v", got)
	}
	// The diff lists exactly that change, both ways round.
	want := []objectRef{{"ruleset", fx.ruleset, "shop"}}
	for _, q := range []string{"", "?from=active&to=draft", "?from=1", "?from=draft&to=1"} {
		d := e.diff(tok, q)
		if !slices.Equal(d.Changed, want) || len(d.Added)+len(d.Removed) != 0 {
			t.Errorf("diff%s: %+v", q, d)
		}
	}

	// Revert: the draft is the active version again.
	rv := decode[struct{ Reverted []objectRef }](t, e.must(200, "POST", api("policy", "revert"), tok, nil))
	if !slices.Equal(rv.Reverted, want) {
		t.Fatalf("reverted %+v, want %+v", rv.Reverted, want)
	}
	if d := e.diff(tok, ""); len(d.Added)+len(d.Changed)+len(d.Removed) != 0 {
		t.Fatalf("diff after revert: %+v", d)
	}
	if got := e.check(tok, draftFlow()); got.Decision != "allowed" {
		t.Fatalf("draft check after revert: %+v", got)
	}
	draftRS := e.must(200, "GET", api("rulesets", fx.ruleset), tok, nil)
	activeRS := e.must(200, "GET", api("rulesets", fx.ruleset+"?version=active"), tok, nil)
	if string(draftRS.body) != string(activeRS.body) || etagOf(t, draftRS) != etagOf(t, activeRS) {
		t.Fatalf("after revert the draft ruleset differs from the active one:\n%s\n%s", draftRS.body, activeRS.body)
	}
	if rv := decode[struct{ Reverted []objectRef }](t, e.must(200, "POST", api("policy", "revert"), tok, obj{})); len(rv.Reverted) != 0 {
		t.Fatalf("a second revert dropped %+v", rv.Reverted)
	}

	// Version 2: the override_deny goes live.
	e.must(200, "PUT", api("rulesets", fx.ruleset), tok, shopWith(deny))
	v2 := e.provision(tok, "lock down db")
	if v2.Version != 2 || v2.Changes.Changed != 1 || v2.Changes.Added+v2.Changes.Removed != 0 {
		t.Fatalf("version 2: %+v", v2)
	}
	if got := e.check(tok, webToDB); got.Decision != "blocked" || got.Reason != "override_deny" || got.Version != "2" {
		t.Fatalf("active check after version 2: %+v", got)
	}
	vs := decode[page[versionOut]](t, e.must(200, "GET", api("policy", "versions"), tok, nil)).Items
	if len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 || vs[1].Note != "first cut" {
		t.Fatalf("versions: %+v", vs)
	}
	p := decode[page[versionOut]](t, e.must(200, "GET", api("policy", "versions?limit=1"), tok, nil))
	if len(p.Items) != 1 || p.Items[0].Version != 2 || p.NextCursor == nil {
		t.Fatalf("first page of versions: %+v", p)
	}
	p = decode[page[versionOut]](t, e.must(200, "GET", api("policy", "versions?limit=1&cursor="+*p.NextCursor), tok, nil))
	if len(p.Items) != 1 || p.Items[0].Version != 1 || p.NextCursor != nil {
		t.Fatalf("second page of versions: %+v", p)
	}
	if got := decode[versionOut](t, e.must(200, "GET", api("policy", "versions", "1"), tok, nil)); got.Note != "first cut" || got.Version != 1 {
		t.Fatalf("version 1 read back: %+v", got)
	}
	for _, n := range []string{"3", "0", "-1", "one"} {
		wantProblem(t, e.call("GET", api("policy", "versions", n), tok, nil), 404, "")
	}

	// Rollback refusals: the active version itself, an unknown one, pending
	// changes, no version at all.
	wantProblem(t, e.call("POST", api("policy", "rollback"), tok, obj{"version": 2}), 409, "")
	wantProblem(t, e.call("POST", api("policy", "rollback"), tok, obj{"version": 99}), 404, "")
	wantProblem(t, e.call("POST", api("policy", "rollback"), tok, obj{"version": 0}), 422, "version")
	wantProblem(t, e.call("POST", api("policy", "rollback"), tok, obj{"version": 1, "note": strings.Repeat("n", 1025)}), 422, "note")
	pending := e.create(tok, "services", serviceBody("pending", tcp(1)))
	wantProblem(t, e.call("POST", api("policy", "rollback"), tok, obj{"version": 1}), 409, "")
	e.must(204, "DELETE", api("services", pending), tok, nil)

	// Rollback to 1: version 3, a copy of 1, and the draft follows.
	v3 := decode[versionOut](t, e.must(201, "POST", api("policy", "rollback"), tok, obj{"version": 1}))
	if v3.Version != 3 || v3.RollbackOf == nil || *v3.RollbackOf != 1 || v3.Note == "" || v3.Changes.Changed != 1 {
		t.Fatalf("rollback: %+v", v3)
	}
	if got := e.check(tok, webToDB); got.Decision != "allowed" || got.Version != "3" || !slices.Equal(got.Rules, []ruleRef{{fx.ruleset, fx.rule}}) {
		t.Fatalf("active check after the rollback: %+v", got)
	}
	if d := e.diff(tok, ""); d.From != "3" || len(d.Added)+len(d.Changed)+len(d.Removed) != 0 {
		t.Fatalf("diff after the rollback: %+v", d)
	}
	if d := e.diff(tok, "?from=1&to=3"); len(d.Added)+len(d.Changed)+len(d.Removed) != 0 {
		t.Fatalf("diff 1→3: %+v", d)
	}
	if d := e.diff(tok, "?from=2&to=3"); !slices.Equal(d.Changed, want) {
		t.Fatalf("diff 2→3: %+v", d)
	}
	if got := decode[versionOut](t, e.must(200, "GET", api("policy", "versions", "3"), tok, nil)); got.RollbackOf == nil || *got.RollbackOf != 1 {
		t.Fatalf("version 3 read back: %+v", got)
	}
	wantProblem(t, e.call("GET", api("policy", "diff?from=4"), tok, nil), 404, "")
	wantProblem(t, e.call("GET", api("policy", "diff?from=latest"), tok, nil), 422, "from")
	wantProblem(t, e.call("GET", api("policy", "diff?to=0"), tok, nil), 422, "to")
}

// TestPolicyProvisionInvalid: the provision request's refusals.
func TestPolicyProvisionInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Provision values").owner
	fx := e.world(tok)
	missing := "00000000-0000-4000-8000-000000000000"

	rows := []struct {
		name  string
		body  obj
		field string
	}{
		{"no note", obj{"note": ""}, "note"},
		{"blank note", obj{"note": "  "}, "note"},
		{"long note", obj{"note": strings.Repeat("n", 1025)}, "note"},
		{"object without a change", obj{"note": "n", "objects": arr{ref("service", fx.pg), ref("service", missing)}}, "objects[1].id"},
		{"object of another kind", obj{"note": "n", "objects": arr{ref("ruleset", fx.pg)}}, "objects[0].id"},
		{"malformed id", obj{"note": "n", "objects": arr{ref("service", "pg")}}, "objects[0].id"},
		{"bad kind", obj{"note": "n", "objects": arr{ref("label", fx.web)}}, "objects[0].kind"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			wantProblem(t, e.on(t).call("POST", api("policy", "provision"), tok, row.body), 422, row.field)
		})
	}
	t.Run("dangling reference", func(t *testing.T) {
		e := e.on(t)
		// Active: a group and a ruleset using it. Draft: both deleted.
		// Provisioning the group's removal alone would leave the ruleset
		// pointing at nothing.
		g := e.create(tok, "label-groups", groupBody("frontends", "role", fx.web))
		rs := e.create(tok, "rulesets", rulesetBody("fe", arr{}, rule("allow", actors(grp(g)), actors(obj{"all_workloads": true}), services(tcp(80)))))
		e.provision(tok, "everything")
		e.must(204, "DELETE", api("rulesets", rs), tok, nil)
		e.must(204, "DELETE", api("label-groups", g), tok, nil)
		r := e.call("POST", api("policy", "provision"), tok, obj{"note": "n", "objects": arr{ref("label_group", g)}})
		wantProblem(t, r, 422, "objects")
		if msgs := messagesOf(t, r, "objects"); len(msgs) != 1 || !strings.Contains(msgs[0], rs) {
			t.Fatalf("the refusal does not name ruleset %s: %q", rs, msgs)
		}
		// Together they go.
		v := e.provision(tok, "both", ref("label_group", g), ref("ruleset", rs))
		if v.Changes.Removed != 2 {
			t.Fatalf("provisioned %+v", v)
		}
	})
}

// TestPolicyConcurrentProvision: twenty admins each provision their own
// pending object at once; the versions are twenty, distinct and gapless,
// each holding exactly its object.
func TestPolicyConcurrentProvision(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Concurrent").owner
	const n = 20
	svcs := make([]string, n)
	for i := range svcs {
		svcs[i] = e.create(tok, "services", serviceBody(fmt.Sprintf("svc-%02d", i), tcp(1000+i)))
	}

	got := make([]resp, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got[i] = e.call("POST", api("policy", "provision"), tok, obj{"note": fmt.Sprintf("svc %d", i), "objects": arr{ref("service", svcs[i])}})
		})
	}
	wg.Wait()
	var versions []int
	for i, r := range got {
		if r.status != 201 {
			t.Fatalf("provision %d: %d %s", i, r.status, r.body)
		}
		v := decode[versionOut](t, r)
		if v.Changes.Added != 1 || v.Changes.Changed+v.Changes.Removed != 0 || v.Note != fmt.Sprintf("svc %d", i) {
			t.Errorf("provision %d: %+v", i, v)
		}
		versions = append(versions, v.Version)
		// Version N holds the objects of every version up to N: its own
		// among them.
		e.must(200, "GET", api("services", svcs[i])+fmt.Sprintf("?version=%d", v.Version), tok, nil)
		if v.Version > 1 {
			active := pageIDs(t, e.must(200, "GET", api("services")+fmt.Sprintf("?version=%d&limit=200", v.Version-1), tok, nil))
			if slices.Contains(active, svcs[i]) {
				t.Errorf("service %d is already in version %d, before the version that provisioned it", i, v.Version-1)
			}
		}
	}
	slices.Sort(versions)
	for i, v := range versions {
		if v != i+1 {
			t.Fatalf("versions %v, want 1 to %d", versions, n)
		}
	}
	sameIDs(t, "active services", pageIDs(t, e.must(200, "GET", api("services?version=active&limit=200"), tok, nil)), svcs)
	// Pages of version 20 cover its 20 services once each.
	var paged []string
	for path, pages := api("services?version=20&limit=7"), 0; path != ""; pages++ {
		p := decode[page[idOnly]](t, e.must(200, "GET", path, tok, nil))
		for _, it := range p.Items {
			paged = append(paged, it.ID)
		}
		path = ""
		if p.NextCursor != nil {
			path = api("services?version=20&limit=7&cursor=" + *p.NextCursor)
		}
		if pages > 3 {
			t.Fatal("more than 3 pages of 7 for 20 services")
		}
	}
	if !slices.Equal(paged, svcs) {
		t.Fatalf("paged %v, want the services in creation order %v", paged, svcs)
	}
	if d := e.diff(tok, ""); len(d.Added)+len(d.Changed)+len(d.Removed) != 0 {
		t.Fatalf("pending after all provisions: %+v", d)
	}
}

// TestPolicyRollbackDeletedLabel: a version whose objects use a label
// deleted since cannot come back (422, field version); the active policy
// stays as it is.
func TestPolicyRollbackDeletedLabel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.signup("Rollback").owner
	old := e.label(tok, "loc", "old-site")
	g := e.create(tok, "label-groups", groupBody("sites", "loc", old))
	e.provision(tok, "with the group")
	e.must(204, "DELETE", api("label-groups", g), tok, nil)
	e.provision(tok, "without the group")
	e.must(204, "DELETE", api("labels", old), tok, nil) // nothing active or draft uses it now

	r := e.call("POST", api("policy", "rollback"), tok, obj{"version": 1})
	wantProblem(t, r, 422, "version")
	if msgs := messagesOf(t, r, "version"); len(msgs) != 1 || !strings.Contains(msgs[0], old) || !strings.Contains(msgs[0], g) {
		t.Fatalf("the refusal should name the group %s and the label %s: %q", g, old, msgs)
	}
	if vs := decode[page[versionOut]](t, e.must(200, "GET", api("policy", "versions"), tok, nil)).Items; len(vs) != 2 {
		t.Fatalf("%d versions after a refused rollback", len(vs))
	}
	wantProblem(t, e.call("GET", api("label-groups", g+"?version=active"), tok, nil), 404, "")
}
