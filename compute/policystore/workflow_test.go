package policystore_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
)

// world is a small provisioned policy: web-1 reaches db-1 on postgres
// through a label group, db-1 reaches web-1 on port 80.
type world struct {
	web, db, prod policy.LabelID
	web1, db1     policy.WorkloadID
	pg            policy.ServiceID
	webs          policy.LabelGroupID
	office        policy.IPListID
	toDB, toWeb   policy.RulesetID
	flows         []policystore.FlowQuery // web→db 5432, db→web 80, web→db 22
}

func newWorld(e *env) *world {
	e.t.Helper()
	w := &world{web: e.label("role", "web"), db: e.label("role", "db"), prod: e.label("env", "prod")}
	w.web1 = e.workload("web-1", policy.Full, "10.0.0.1", w.web, w.prod)
	w.db1 = e.workload("db-1", policy.Full, "10.0.0.2", w.db, w.prod)
	w.pg = e.service("postgres", 5432)
	w.webs = e.group("webs", "role", w.web)
	w.office = e.ipList("office", "192.0.2.0/24")
	w.toDB = e.ruleset(allowRS("to-db", actors(byLabel(w.db)), actors(byGroup(w.webs), byIPList(w.office)), named(w.pg)))
	w.toWeb = e.ruleset(allowRS("to-web", actors(byLabel(w.web)), actors(byLabel(w.db)), tcp(80)))
	w.flows = []policystore.FlowQuery{flow(w.web1, w.db1, 5432), flow(w.db1, w.web1, 80), flow(w.web1, w.db1, 22)}
	if v := e.provision("world"); v.Version != 1 {
		e.t.Fatalf("first provision made version %d", v.Version)
	}
	return w
}

func TestDraftEditsLeaveActiveUntouched(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	legacy := e.service("legacy", 23)
	e.provision("legacy")
	before := e.view(policystore.Active, w.flows...)
	same(t, "active verdicts", verdicts(before.Decisions), []policy.Verdict{policy.Allowed, policy.Allowed, policy.Blocked})

	var (
		ssh   policy.ServiceID
		sshRS policy.RulesetID
		lan   policy.IPListID
	)
	del := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	edits := []struct {
		name string
		do   func()
	}{
		{"create service", func() { ssh = e.service("ssh", 22) }},
		{"create ruleset", func() { sshRS = e.ruleset(allowRS("ssh", actors(byLabel(w.db)), actors(byLabel(w.web)), named(ssh))) }},
		{"create IP list", func() { lan = e.ipList("lan", "10.0.0.0/8") }},
		{"create label group", func() { e.group("dbs", "role", w.db) }},
		{"update service", func() { update(e, e.store.Services(), string(w.pg), svc("postgres", 5433)) }},
		{"update label group", func() {
			update(e, e.store.LabelGroups(), string(w.webs), policy.LabelGroup{Name: "webs", Key: "role", Labels: []policy.LabelID{w.web, w.db}})
		}},
		{"update IP list", func() {
			update(e, e.store.IPLists(), string(w.office), policy.IPList{Name: "office", Ranges: []string{"198.51.100.0/24"}})
		}},
		{"update ruleset", func() {
			update(e, e.store.Rulesets(), string(w.toDB), allowRS("to-db", actors(byLabel(w.db)), actors(byGroup(w.webs)), named(w.pg)))
		}},
		{"delete ruleset", func() { del(e.store.Rulesets().Delete(e.ctx, e.tenant, string(w.toWeb), "")) }},
		{"delete IP list", func() { del(e.store.IPLists().Delete(e.ctx, e.tenant, string(w.office), "")) }},
		{"delete service", func() { del(e.store.Services().Delete(e.ctx, e.tenant, string(legacy), "")) }},
		{"delete label group", func() {
			g := e.group("brief", "role", w.db)
			del(e.store.LabelGroups().Delete(e.ctx, e.tenant, string(g), ""))
		}},
	}
	for _, ed := range edits {
		ed.do()
		same(t, "active after "+ed.name, e.view(policystore.Active, w.flows...), before)
	}
	for _, err := range []error{
		func() error {
			_, err := e.store.Services().Get(e.ctx, e.tenant, string(ssh), policystore.Active)
			return err
		}(),
		func() error {
			_, err := e.store.IPLists().Get(e.ctx, e.tenant, string(lan), policystore.Active)
			return err
		}(),
		func() error {
			_, err := e.store.Rulesets().Get(e.ctx, e.tenant, string(sshRS), policystore.Active)
			return err
		}(),
		func() error {
			_, err := e.store.Rulesets().Get(e.ctx, e.tenant, string(w.toWeb), policystore.Draft)
			return err
		}(),
	} {
		wantErr(t, err, usererr.NotFound)
	}
	wantDraft := []policy.Verdict{policy.Blocked, policy.Blocked, policy.Allowed}
	same(t, "draft verdicts", verdicts(e.check(policystore.Draft, w.flows...)), wantDraft)

	v := e.provision("third")
	if v.Version != 3 || v.Added != 4 || v.Changed != 3 || v.Removed != 3 || v.RollbackOf != nil || v.Note != "third" {
		t.Errorf("version %+v, want 3 with 4 added, 3 changed, 3 removed", v)
	}
	if v.ProvisionedBy == nil || *v.ProvisionedBy != string(e.user) || v.APIKey != nil {
		t.Errorf("version provisioned by %v / key %v, want user %s", v.ProvisionedBy, v.APIKey, e.user)
	}
	active, draft := e.view(policystore.Active, w.flows...), e.view(policystore.Draft, w.flows...)
	same(t, "active verdicts after provision", verdicts(active.Decisions), wantDraft)
	same(t, "active after provision", active, draft)
	same(t, "version 2", e.view(policystore.Selector{N: 2}, w.flows...), before)
	versions, _, err := e.store.ListVersions(e.ctx, e.tenant, page.Request{})
	if err != nil || len(versions) != 3 || versions[0].Version != 3 || versions[2].Version != 1 {
		t.Errorf("versions %+v, %v; want 3, 2, 1", versions, err)
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	a, b := e.service("a", 1), e.service("b", 2)
	gone := e.service("gone", 3)
	e.provision("v2")

	update(e, e.store.Services(), string(a), svc("a", 10))                                                   // changed
	update(e, e.store.Services(), string(b), get(e, e.store.Services(), string(b), policystore.Draft).Value) // same content: not a change
	rs := get(e, e.store.Rulesets(), string(w.toWeb), policystore.Draft).Value
	update(e, e.store.Rulesets(), string(w.toWeb), rs) // same again, rule ids included
	update(e, e.store.IPLists(), string(w.office), policy.IPList{Name: "head office", Ranges: []string{"192.0.2.0/24"}})
	if err := e.store.Services().Delete(e.ctx, e.tenant, string(gone), ""); err != nil {
		t.Fatal(err)
	}
	added := e.service("added", 4)
	brief := e.group("brief", "role") // created and deleted again: no change at all
	if err := e.store.LabelGroups().Delete(e.ctx, e.tenant, string(brief), ""); err != nil {
		t.Fatal(err)
	}
	addedGroup := e.group("added", "env", w.prod)

	want := changes(
		refs(ref(policy.KindLabelGroup, addedGroup, "added"), ref(policy.KindService, added, "added")),
		refs(ref(policy.KindIPList, w.office, "head office"), ref(policy.KindService, a, "a")),
		refs(ref(policy.KindService, gone, "gone")))
	reversed := changes(want.Removed, want.Changed, want.Added)
	reversed.Changed = refs(ref(policy.KindIPList, w.office, "office"), ref(policy.KindService, a, "a"))

	for _, tc := range []struct {
		from, to         policystore.Selector
		wantFrom, wantTo string
		want             policystore.Changes
	}{
		{policystore.Active, policystore.Draft, "2", "draft", want},
		{policystore.Selector{N: 2}, policystore.Draft, "2", "draft", want},
		{policystore.Selector{N: 1}, policystore.Selector{N: 2}, "1", "2",
			changes(refs(ref(policy.KindService, a, "a"), ref(policy.KindService, b, "b"), ref(policy.KindService, gone, "gone")), nil, nil)},
		{policystore.Active, policystore.Active, "2", "2", changes(nil, nil, nil)},
		{policystore.Draft, policystore.Active, "draft", "2", reversed},
	} {
		t.Run(tc.from.String()+".."+tc.to.String(), func(t *testing.T) {
			d := e.diff(tc.from, tc.to)
			if d.From != tc.wantFrom || d.To != tc.wantTo {
				t.Errorf("diff names %s..%s, want %s..%s", d.From, d.To, tc.wantFrom, tc.wantTo)
			}
			same(t, "changes", d.Changes, tc.want)
		})
	}

	v := e.provision("v3")
	if v.Added != 2 || v.Changed != 2 || v.Removed != 1 {
		t.Errorf("version %+v, want 2 added, 2 changed, 1 removed", v)
	}
	same(t, "diff 2..3", e.diff(policystore.Selector{N: 2}, policystore.Selector{N: 3}).Changes, want)
	same(t, "diff active..draft after provision", e.diff(policystore.Active, policystore.Draft).Changes, changes(nil, nil, nil))
	if _, err := e.store.Diff(e.ctx, e.tenant, policystore.Selector{N: 9}, policystore.Draft); !usererr.Is(err, usererr.NotFound) {
		t.Errorf("diff from an unknown version: %v, want NotFound", err)
	}
}

func TestRevert(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	active := e.view(policystore.Active, w.flows...)

	update(e, e.store.Services(), string(w.pg), svc("postgres", 6432))
	update(e, e.store.LabelGroups(), string(w.webs), get(e, e.store.LabelGroups(), string(w.webs), policystore.Draft).Value) // same content, new ETag
	if err := e.store.Rulesets().Delete(e.ctx, e.tenant, string(w.toWeb), ""); err != nil {
		t.Fatal(err)
	}
	added := e.ipList("added", "10.9.0.0/16")

	got, err := e.store.Revert(e.ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "reverted", got, changes(
		refs(ref(policy.KindIPList, added, "added")),
		refs(ref(policy.KindService, w.pg, "postgres")),
		refs(ref(policy.KindRuleset, w.toWeb, "to-web"))))
	same(t, "draft after revert", e.view(policystore.Draft, w.flows...), active)
	same(t, "active after revert", e.view(policystore.Active, w.flows...), active)

	got, err = e.store.Revert(e.ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "second revert", got, changes(nil, nil, nil))
	if _, err := e.store.Provision(e.ctx, e.tenant, e.author(), "nothing", nil); !usererr.Is(err, usererr.Conflict) {
		t.Errorf("provision after revert: %v, want Conflict", err)
	}
}

func TestRevertBeforeFirstProvision(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.service("s", 1)
	got, err := e.store.Revert(e.ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "reverted", got, changes(refs(ref(policy.KindService, s, "s")), nil, nil))
	same(t, "draft", e.view(policystore.Draft).ETags, map[policystore.ObjectKey]string{})
}

func TestRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	v1 := e.view(policystore.Selector{N: 1}, w.flows...)

	update(e, e.store.Services(), string(w.pg), svc("postgres", 6432))
	extra := e.service("extra", 8080)
	e.provision("v2")
	if _, err := e.store.Rulesets().Get(e.ctx, e.tenant, string(w.toWeb), policystore.Active); err != nil {
		t.Fatal(err)
	}

	// Refused while the draft has a pending change; nothing happens.
	e.service("pending", 9)
	_, err := e.store.Rollback(e.ctx, e.tenant, e.author(), 1, "")
	wantErr(t, err, usererr.Conflict)
	if _, err := e.store.Revert(e.ctx, e.tenant); err != nil {
		t.Fatal(err)
	}

	v, err := e.store.Rollback(e.ctx, e.tenant, e.author(), 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != 3 || v.RollbackOf == nil || *v.RollbackOf != 1 || v.Note != "rollback to version 1" ||
		v.Added != 0 || v.Changed != 1 || v.Removed != 1 {
		t.Errorf("rollback made %+v, want version 3 of version 1: 1 changed, 1 removed", v)
	}
	got, err := e.store.GetVersion(e.ctx, e.tenant, 3)
	if err != nil || got.RollbackOf == nil || *got.RollbackOf != 1 {
		t.Errorf("version 3 is %+v, %v; want rollback_of 1", got, err)
	}
	same(t, "export of version 3", e.export(policystore.Selector{N: 3}), e.export(policystore.Selector{N: 1}))
	same(t, "active", e.view(policystore.Active, w.flows...), v1)
	same(t, "draft", e.view(policystore.Draft, w.flows...), v1)
	if _, err := e.store.Services().Get(e.ctx, e.tenant, string(extra), policystore.Draft); !usererr.Is(err, usererr.NotFound) {
		t.Errorf("service of version 2 in the draft after rollback: %v", err)
	}

	for _, tc := range []struct {
		name string
		n    int
		kind usererr.Kind
	}{
		{"to the active version", 3, usererr.Conflict},
		{"to a version equal to the active one", 1, usererr.Conflict},
		{"to an unknown version", 99, usererr.NotFound},
		{"to version 0", 0, usererr.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.store.Rollback(e.ctx, e.tenant, e.author(), tc.n, "why")
			wantErr(t, err, tc.kind)
		})
	}
	_, err = e.store.Rollback(e.ctx, e.tenant, e.author(), 2, strings.Repeat("x", 1025))
	wantErr(t, err, usererr.Invalid, "note")
	if v, err := e.store.Rollback(e.ctx, e.tenant, e.author(), 2, "back again"); err != nil || v.Version != 4 || v.Note != "back again" {
		t.Errorf("rollback to 2: %+v, %v; want version 4", v, err)
	}
	same(t, "export of version 4", e.export(policystore.Selector{N: 4}), e.export(policystore.Selector{N: 2}))
}

func TestRollbackRefusesDeletedLabel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	old, cur := e.label("app", "old"), e.label("app", "new")
	rs := e.ruleset(policy.Ruleset{Name: "app", Scopes: []policy.Scope{scope(old)},
		Rules: []policy.Rule{{Action: policy.Allow, Providers: actors(byLabel(old)), Consumers: actors(byLabel(old)), Services: []policy.ServiceRef{tcp(80)}}}})
	e.provision("uses app=old")
	update(e, e.store.Rulesets(), string(rs), policy.Ruleset{Name: "app", Scopes: []policy.Scope{scope(cur)},
		Rules: []policy.Rule{{Action: policy.Allow, Providers: actors(byLabel(cur)), Consumers: actors(byLabel(cur)), Services: []policy.ServiceRef{tcp(80)}}}})
	e.provision("uses app=new")
	if err := e.store.DeleteLabel(e.ctx, e.tenant, string(old), ""); err != nil {
		t.Fatalf("delete a label only an old version uses: %v", err)
	}
	before := e.view(policystore.Active)

	_, err := e.store.Rollback(e.ctx, e.tenant, e.author(), 1, "")
	ue := wantErr(t, err, usererr.Invalid, "version")
	if msg := strings.Join(messages(ue, "version"), "\n"); !strings.Contains(msg, string(old)) || !strings.Contains(msg, `"app"`) {
		t.Errorf("rollback error %q does not name the label and the ruleset", msg)
	}
	same(t, "active after refused rollback", e.view(policystore.Active), before)
	same(t, "draft after refused rollback", e.view(policystore.Draft), before)
	if vs, _, _ := e.store.ListVersions(e.ctx, e.tenant, page.Request{}); len(vs) != 2 {
		t.Errorf("%d versions after a refused rollback, want 2", len(vs))
	}
}

func TestConcurrentProvisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 20
	keys := make([]policystore.ObjectKey, n)
	for i := range keys {
		keys[i] = key(policy.KindService, e.service(fmt.Sprintf("s%d", i), 1000+i))
	}
	var wg sync.WaitGroup
	got := make([]int, n)
	errs := make([]error, n)
	for i := range keys {
		wg.Go(func() {
			v, err := e.store.Provision(e.ctx, e.tenant, e.author(), fmt.Sprintf("s%d", i), []policystore.ObjectKey{keys[i]})
			got[i], errs[i] = v.Version, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("provision %d: %v", i, err)
		}
	}
	slices.Sort(got)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	same(t, "versions", got, want)
	same(t, "pending", e.diff(policystore.Active, policystore.Draft).Changes, changes(nil, nil, nil))
	var versions []policystore.Version
	for pr := (page.Request{Limit: 7}); ; {
		vs, next, err := e.store.ListVersions(e.ctx, e.tenant, pr)
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, vs...)
		if next == "" {
			break
		}
		k, err := page.Decode(next)
		if err != nil {
			t.Fatal(err)
		}
		pr.After = &k
	}
	if len(versions) != n {
		t.Fatalf("listed %d versions, want %d", len(versions), n)
	}
	for i, v := range versions {
		if v.Version != n-i {
			t.Errorf("versions[%d] is %d, want %d (newest first)", i, v.Version, n-i)
		}
	}
	for _, v := range versions {
		if v.Added != 1 || v.Changed != 0 || v.Removed != 0 {
			t.Errorf("version %d: %d added, %d changed, %d removed; want one service added", v.Version, v.Added, v.Changed, v.Removed)
		}
		if got := len(e.export(policystore.Selector{N: v.Version}).Services); got != v.Version {
			t.Errorf("version %d holds %d services", v.Version, got)
		}
	}
}

func TestProvisionRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.store.Provision(e.ctx, e.tenant, e.author(), "empty", nil)
	wantErr(t, err, usererr.Conflict)

	s := e.service("s", 1)
	for _, note := range []string{"", "  \t", strings.Repeat("é", 1025)} {
		_, err := e.store.Provision(e.ctx, e.tenant, e.author(), note, nil)
		wantErr(t, err, usererr.Invalid, "note")
	}
	_, err = e.store.Provision(e.ctx, e.tenant, e.author(), "bad keys", []policystore.ObjectKey{{Kind: "label", ID: string(s)}, {Kind: policy.KindService, ID: "nope"}})
	wantErr(t, err, usererr.Invalid, "objects[0].kind", "objects[1].id")
	if d := e.diff(policystore.Active, policystore.Draft); d.From != "0" || d.Changes.Len() != 1 {
		t.Errorf("refused provisions changed the active version: %+v", d)
	}

	e.provision("first")
	update(e, e.store.Services(), string(s), svc("s", 1)) // same content
	_, err = e.store.Provision(e.ctx, e.tenant, e.author(), "same", nil)
	wantErr(t, err, usererr.Conflict)
}
