package policystore_test

import (
	"math"
	"strconv"
	"sync"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
)

// userOrNil fails t if err is an internal error: one the gateway would
// answer 500 for something a client did.
func userOrNil(t *testing.T, what string, err error) {
	t.Helper()
	if _, ok := usererr.As(err); err != nil && !ok {
		t.Errorf("%s: internal error: %v", what, err)
	}
}

// Creating a label while its key is deleted, or while an import creates
// the same label, ends in a clean answer on both sides, never a 500.
func TestLabelWritesRaceCleanly(t *testing.T) {
	e := newEnv(t)
	for i := range 15 {
		key := "k" + strconv.Itoa(i)
		if _, err := e.store.CreateDimension(e.ctx, e.tenant, key); err != nil {
			t.Fatal(err)
		}
		doc := &policy.Policy{Labels: []policy.Label{{ID: policy.LabelID(ids.New()), Key: "env", Value: "v" + key}}}
		doc.LabelGroups = []policy.LabelGroup{{ID: policy.LabelGroupID(ids.New()), Name: "g" + key, Key: "env", Labels: []policy.LabelID{doc.Labels[0].ID}}}
		var wg sync.WaitGroup
		wg.Go(func() {
			_, err := e.store.CreateLabel(e.ctx, e.tenant, key, "x")
			userOrNil(t, "create label", err)
		})
		wg.Go(func() { userOrNil(t, "delete key", e.store.DeleteDimension(e.ctx, e.tenant, key)) })
		wg.Go(func() {
			_, err := e.store.CreateLabel(e.ctx, e.tenant, "env", "v"+key)
			userOrNil(t, "create env label", err)
		})
		wg.Go(func() {
			_, err := e.store.Import(e.ctx, e.tenant, doc, false)
			userOrNil(t, "import", err)
		})
		wg.Wait()
	}
}

// Numbers no version can have, and keys no label can have, are "not
// found" or nothing, not query errors.
func TestImpossibleNamesAreNotFound(t *testing.T) {
	e := newEnv(t)
	huge := policystore.Selector{N: math.MaxInt32 + 1}
	_, err := e.store.Services().Get(e.ctx, e.tenant, ids.New(), huge)
	wantErr(t, err, usererr.NotFound)
	_, _, err = e.store.Services().List(e.ctx, e.tenant, huge, page.Request{})
	wantErr(t, err, usererr.NotFound)
	_, err = e.store.GetVersion(e.ctx, e.tenant, math.MaxInt32+1)
	wantErr(t, err, usererr.NotFound)
	_, err = e.store.Rollback(e.ctx, e.tenant, e.author(), math.MaxInt32+1, "")
	wantErr(t, err, usererr.NotFound)
	_, err = e.store.Diff(e.ctx, e.tenant, huge, policystore.Draft)
	wantErr(t, err, usererr.NotFound)

	for _, key := range []string{"\xff", "a\x00b"} {
		ls, _, err := e.store.ListLabels(e.ctx, e.tenant, key, page.Request{})
		if err != nil || len(ls) != 0 {
			t.Errorf("labels of key %q: %v, %v; want none", key, ls, err)
		}
		wantErr(t, e.store.DeleteDimension(e.ctx, e.tenant, key), usererr.NotFound)
	}
	_, err = e.store.Provision(e.ctx, e.tenant, e.author(), "a\x00note", nil)
	wantErr(t, err, usererr.Invalid, "note")
}

// A group nested in another keeps the key of its parent.
func TestNestedGroupKeepsItsKey(t *testing.T) {
	e := newEnv(t)
	inner := e.group("inner", "env", e.label("env", "prod"))
	create(e, e.store.LabelGroups(), policy.LabelGroup{Name: "outer", Key: "env", Groups: []policy.LabelGroupID{inner}})
	_, err := e.store.LabelGroups().Update(e.ctx, e.tenant, string(inner),
		policy.LabelGroup{Name: "inner", Key: "app", Labels: []policy.LabelID{e.label("app", "shop")}}, "")
	ue := wantErr(t, err, usererr.Conflict, "used_by")
	if len(ue.Fields) != 1 {
		t.Errorf("users %v, want the outer group", ue.Fields)
	}
}

// A rule naming a workload that has gone can still be edited, exported and
// imported back; a newly named missing workload is still refused.
func TestGoneWorkloadInRule(t *testing.T) {
	e := newEnv(t)
	web := e.label("role", "web")
	w := e.workload("w", policy.Full, "10.0.0.1", web)
	rs := policy.Ruleset{Name: "r", Rules: []policy.Rule{{Action: policy.Allow,
		Providers: actors(byLabel(web)), Consumers: actors(policy.Actor{Workload: w}), Services: []policy.ServiceRef{tcp(22)}}}}
	id := e.ruleset(rs)
	if err := e.store.DeleteWorkloads(e.ctx, e.tenant, []string{string(w)}, "", ""); err != nil {
		t.Fatal(err)
	}
	o := get(e, e.store.Rulesets(), string(id), policystore.Draft)
	o.Value.Description = "still editable"
	update(e, e.store.Rulesets(), string(id), o.Value)
	doc := e.export(policystore.Draft)
	if _, err := e.store.Import(e.ctx, e.tenant, doc, false); err != nil {
		t.Fatalf("re-import of the draft's own export: %v", err)
	}
	o.Value.Rules[0].Consumers = append(o.Value.Rules[0].Consumers, policy.Actor{Workload: policy.WorkloadID(ids.New())})
	_, err := e.store.Rulesets().Update(e.ctx, e.tenant, string(id), o.Value, "")
	wantErr(t, err, usererr.Invalid, "rules[0].consumers[1].workload")
}

// A rollback cannot bring back a label group whose key was deleted since.
func TestRollbackToDeletedGroupKey(t *testing.T) {
	e := newEnv(t)
	if _, err := e.store.CreateDimension(e.ctx, e.tenant, "team"); err != nil {
		t.Fatal(err)
	}
	g := e.group("teams", "team")
	e.provision("with teams")
	if err := e.store.LabelGroups().Delete(e.ctx, e.tenant, string(g), ""); err != nil {
		t.Fatal(err)
	}
	e.provision("without")
	if err := e.store.DeleteDimension(e.ctx, e.tenant, "team"); err != nil {
		t.Fatal(err)
	}
	_, err := e.store.Rollback(e.ctx, e.tenant, e.author(), 1, "")
	wantErr(t, err, usererr.Invalid, "version")
}
