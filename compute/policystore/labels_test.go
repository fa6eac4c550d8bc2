package policystore_test

import (
	"fmt"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/usererr"
)

func TestLabelWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	web := e.label("role", "web")
	e.label("role", "db")

	for _, tc := range []struct {
		name       string
		key, value string
		kind       usererr.Kind
		field      string
	}{
		{"duplicate", "role", "web", usererr.Conflict, "value"},
		{"unknown key", "colour", "red", usererr.Invalid, "key"},
		{"empty value", "role", "", usererr.Invalid, "value"},
		{"value with '='", "role", "a=b", usererr.Invalid, "value"},
	} {
		t.Run("create "+tc.name, func(t *testing.T) {
			_, err := e.store.CreateLabel(e.ctx, e.tenant, tc.key, tc.value)
			wantErr(t, err, tc.kind, tc.field)
		})
	}
	if n := len(e.labels()); n != 2 {
		t.Errorf("%d labels after refused creates, want 2", n)
	}

	cur, err := e.store.GetLabel(e.ctx, e.tenant, string(web))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		key, value string
		kind       usererr.Kind
		field      string
	}{
		{"key change", "app", "web", usererr.Invalid, "key"},
		{"to an existing value", "role", "db", usererr.Conflict, "value"},
		{"to a bad value", "role", " web", usererr.Invalid, "value"},
	} {
		t.Run("update "+tc.name, func(t *testing.T) {
			_, err := e.store.UpdateLabel(e.ctx, e.tenant, string(web), tc.key, tc.value, "")
			wantErr(t, err, tc.kind, tc.field)
		})
	}
	if got, _ := e.store.GetLabel(e.ctx, e.tenant, string(web)); got != cur {
		t.Errorf("label after refused updates: %+v, want %+v", got, cur)
	}
	l, err := e.store.UpdateLabel(e.ctx, e.tenant, string(web), "role", "frontend", "")
	if err != nil || l.Value != "frontend" || l.Key != "role" || l.Revision <= cur.Revision {
		t.Errorf("rename: %+v, %v", l, err)
	}
	if _, err := e.store.UpdateLabel(e.ctx, e.tenant, "nope", "role", "x", ""); !usererr.Is(err, usererr.NotFound) {
		t.Errorf("update of a malformed id: %v, want NotFound", err)
	}
}

func TestDeleteLabelInUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	prod, db := e.label("env", "prod"), e.label("role", "db")
	wl := e.workload("web-1", policy.Full, "10.0.0.1", prod)
	rs := e.ruleset(policy.Ruleset{Name: "prod", Scopes: []policy.Scope{scope(prod)},
		Rules: []policy.Rule{{Action: policy.Allow, Providers: actors(byLabel(db)), Consumers: actors(byLabel(db)), Services: []policy.ServiceRef{tcp(80)}}}})
	e.provision("prod")
	// The draft ruleset stops using env=prod; a new draft group starts to.
	update(e, e.store.Rulesets(), string(rs), policy.Ruleset{Name: "prod",
		Rules: []policy.Rule{{Action: policy.Allow, Providers: actors(byLabel(db)), Consumers: actors(byLabel(db)), Services: []policy.ServiceRef{tcp(80)}}}})
	g := e.group("envs", "env", prod)

	err := e.store.DeleteLabel(e.ctx, e.tenant, string(prod), "")
	ue := wantErr(t, err, usererr.Conflict, "used_by")
	same(t, "users", messages(ue, "used_by"), []string{
		fmt.Sprintf(`workload "web-1" (%s)`, wl),
		fmt.Sprintf(`draft label group "envs" (%s)`, g),
		fmt.Sprintf(`version 1 ruleset "prod" (%s)`, rs),
	})
	if _, err := e.store.GetLabel(e.ctx, e.tenant, string(prod)); err != nil {
		t.Fatalf("label after refused delete: %v", err)
	}

	if err := e.store.DeleteWorkloads(e.ctx, e.tenant, []string{string(wl)}, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.store.LabelGroups().Delete(e.ctx, e.tenant, string(g), ""); err != nil {
		t.Fatal(err)
	}
	ue = wantErr(t, e.store.DeleteLabel(e.ctx, e.tenant, string(prod), ""), usererr.Conflict, "used_by")
	same(t, "users before provisioning", messages(ue, "used_by"), []string{fmt.Sprintf(`version 1 ruleset "prod" (%s)`, rs)})
	e.provision("no more prod")
	if err := e.store.DeleteLabel(e.ctx, e.tenant, string(prod), ""); err != nil {
		t.Fatalf("delete an unused label: %v", err)
	}
	if _, err := e.store.GetLabel(e.ctx, e.tenant, string(prod)); !usererr.Is(err, usererr.NotFound) {
		t.Errorf("deleted label: %v, want NotFound", err)
	}
	if err := e.store.DeleteLabel(e.ctx, e.tenant, string(prod), ""); !usererr.Is(err, usererr.NotFound) {
		t.Errorf("second delete: %v, want NotFound", err)
	}
}

func TestDimensions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		key  string
		kind usererr.Kind
	}{
		{"role", usererr.Conflict},
		{"Bad Key", usererr.Invalid},
		{"", usererr.Invalid},
	} {
		_, err := e.store.CreateDimension(e.ctx, e.tenant, tc.key)
		wantErr(t, err, tc.kind, "key")
	}
	custom := policy.MaxDimensions - len(policy.DefaultDimensions)
	for i := range custom {
		if _, err := e.store.CreateDimension(e.ctx, e.tenant, fmt.Sprintf("k%d", i)); err != nil {
			t.Fatalf("custom key %d of %d: %v", i+1, custom, err)
		}
	}
	_, err := e.store.CreateDimension(e.ctx, e.tenant, "one-too-many")
	wantErr(t, err, usererr.Invalid, "key")
	// At the limit, an existing key is still a duplicate, not one too many.
	_, err = e.store.CreateDimension(e.ctx, e.tenant, "k0")
	wantErr(t, err, usererr.Conflict, "key")

	dims, err := e.store.ListDimensions(e.ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i, d := range dims {
		keys = append(keys, d.Key)
		if d.Builtin != (i < len(policy.DefaultDimensions)) {
			t.Errorf("dimension %s: builtin %v", d.Key, d.Builtin)
		}
	}
	if len(keys) != policy.MaxDimensions {
		t.Errorf("dimensions %v, want %d", keys, policy.MaxDimensions)
	}

	e.label("k1", "x")
	for _, tc := range []struct {
		key  string
		kind usererr.Kind
	}{
		{"role", usererr.Conflict},
		{"k1", usererr.Conflict},
		{"nope", usererr.NotFound},
	} {
		t.Run("delete "+tc.key, func(t *testing.T) {
			wantErr(t, e.store.DeleteDimension(e.ctx, e.tenant, tc.key), tc.kind)
		})
	}
	if err := e.store.DeleteDimension(e.ctx, e.tenant, "k0"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.CreateDimension(e.ctx, e.tenant, "room-again"); err != nil {
		t.Errorf("create after a delete freed a slot: %v", err)
	}
}

// A label group's key is a label key of the tenant, and holds that key
// against deletion like a label does.
func TestLabelGroupKey(t *testing.T) {
	e := newEnv(t)
	if _, err := e.store.CreateDimension(e.ctx, e.tenant, "team"); err != nil {
		t.Fatal(err)
	}
	_, err := e.store.LabelGroups().Create(e.ctx, e.tenant, policy.LabelGroup{Name: "ghosts", Key: "nosuch"})
	wantErr(t, err, usererr.Invalid, "key")

	g := e.group("teams", "team")
	err = e.store.DeleteDimension(e.ctx, e.tenant, "team")
	wantErr(t, err, usererr.Conflict)
	e.provision("teams")
	if err := e.store.LabelGroups().Delete(e.ctx, e.tenant, string(g), ""); err != nil {
		t.Fatal(err)
	}
	err = e.store.DeleteDimension(e.ctx, e.tenant, "team") // still in the active version
	wantErr(t, err, usererr.Conflict)
	e.provision("no teams")
	if err := e.store.DeleteDimension(e.ctx, e.tenant, "team"); err != nil {
		t.Fatalf("delete unused key: %v", err)
	}

	doc := &policy.Policy{LabelGroups: []policy.LabelGroup{{ID: policy.LabelGroupID(ids.New()), Name: "g", Key: "nosuch"}}}
	_, err = e.store.Import(e.ctx, e.tenant, doc, true)
	wantErr(t, err, usererr.Invalid, "label_groups[0].key")
	// A key the import itself creates, through a label, will do.
	doc.Labels = []policy.Label{{ID: policy.LabelID(ids.New()), Key: "nosuch", Value: "x"}}
	doc.LabelGroups[0].Labels = []policy.LabelID{doc.Labels[0].ID}
	if _, err := e.store.Import(e.ctx, e.tenant, doc, false); err != nil {
		t.Fatalf("import with a new key: %v", err)
	}
}
