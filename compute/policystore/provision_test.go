package policystore_test

import (
	"strings"
	"testing"

	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/usererr"
)

func TestPartialProvisionTakesDependencies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	admins := e.group("admins", "role", w.web)
	ssh := e.service("ssh", 22)
	vpn := e.ipList("vpn", "10.8.0.0/16")
	rs := e.ruleset(allowRS("admin", actors(byLabel(w.db)), actors(byGroup(admins), byIPList(vpn)), named(ssh)))
	unrelated := e.service("unrelated", 9999)
	unrelatedList := e.ipList("unrelated", "10.99.0.0/16")
	update(e, e.store.Services(), string(w.pg), svc("postgres", 6432)) // pending, not referenced by rs

	v := e.provision("admin access", key(policy.KindRuleset, rs))
	if v.Version != 2 || v.Added != 4 || v.Changed != 0 || v.Removed != 0 {
		t.Errorf("version %+v, want 2 with the ruleset and its 3 new dependencies added", v)
	}
	same(t, "provisioned", e.diff(policystore.Selector{N: 1}, policystore.Active).Changes, changes(
		refs(ref(policy.KindIPList, vpn, "vpn"), ref(policy.KindLabelGroup, admins, "admins"),
			ref(policy.KindRuleset, rs, "admin"), ref(policy.KindService, ssh, "ssh")), nil, nil))
	same(t, "still pending", e.diff(policystore.Active, policystore.Draft).Changes, changes(
		refs(ref(policy.KindIPList, unrelatedList, "unrelated"), ref(policy.KindService, unrelated, "unrelated")),
		refs(ref(policy.KindService, w.pg, "postgres")), nil))
	same(t, "active verdicts", verdicts(e.check(policystore.Active, flow(w.web1, w.db1, 22), flow("10.8.1.1", w.db1, 22), flow(w.web1, w.db1, 5432))),
		[]policy.Verdict{policy.Allowed, policy.Allowed, policy.Allowed})
}

func TestPartialProvisionRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e)
	alpha, beta := e.service("alpha", 1), e.service("beta", 2)
	e.provision("alpha and beta")

	// to-db stops using the group, which is then deleted: provisioning the
	// deletion alone would leave the active to-db without it.
	update(e, e.store.Rulesets(), string(w.toDB), allowRS("to-db", actors(byLabel(w.db)), actors(byLabel(w.web)), named(w.pg)))
	if err := e.store.LabelGroups().Delete(e.ctx, e.tenant, string(w.webs), ""); err != nil {
		t.Fatal(err)
	}
	// The two services swap names.
	update(e, e.store.Services(), string(alpha), svc("swap", 1))
	update(e, e.store.Services(), string(beta), svc("alpha", 2))
	update(e, e.store.Services(), string(alpha), svc("beta", 1))
	before := e.view(policystore.Active, w.flows...)
	pending := e.diff(policystore.Active, policystore.Draft).Changes

	for _, tc := range []struct {
		name    string
		objects []policystore.ObjectKey
		field   string
		mention []string
	}{
		{"no pending change", []policystore.ObjectKey{key(policy.KindService, alpha), key(policy.KindIPList, w.office)},
			"objects[1].id", []string{string(w.office)}},
		{"unknown object", []policystore.ObjectKey{key(policy.KindRuleset, alpha)}, "objects[0].id", nil},
		{"deleted group still used by the active ruleset", []policystore.ObjectKey{key(policy.KindLabelGroup, w.webs)},
			"objects", []string{string(w.webs), `ruleset "to-db"`}},
		{"half a name swap", []policystore.ObjectKey{key(policy.KindService, alpha)}, "objects", []string{`"beta"`}},
		{"other half of the swap", []policystore.ObjectKey{key(policy.KindService, beta)}, "objects", []string{`"alpha"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.store.Provision(e.ctx, e.tenant, e.author(), tc.name, tc.objects)
			ue := wantErr(t, err, usererr.Invalid, tc.field)
			msg := strings.Join(messages(ue, tc.field), "\n")
			for _, m := range tc.mention {
				if !strings.Contains(msg, m) {
					t.Errorf("error %q does not mention %s", msg, m)
				}
			}
		})
	}
	same(t, "active after refused provisions", e.view(policystore.Active, w.flows...), before)
	same(t, "pending after refused provisions", e.diff(policystore.Active, policystore.Draft).Changes, pending)

	// Together they go.
	e.provision("swap", key(policy.KindService, alpha), key(policy.KindService, beta))
	v := e.provision("drop the group", key(policy.KindRuleset, w.toDB), key(policy.KindLabelGroup, w.webs))
	if v.Version != 4 || v.Changed != 1 || v.Removed != 1 {
		t.Errorf("version %+v, want 4 with one change and one removal", v)
	}
	same(t, "pending at the end", e.diff(policystore.Active, policystore.Draft).Changes, changes(nil, nil, nil))
}
