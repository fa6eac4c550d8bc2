package policystore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/compute/policy"
	"github.com/remora-sec/remora/compute/policystore"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/usererr"
)

// profileIn is a valid profile input: single-use tokens living a day.
func profileIn(name string, labels ...policy.LabelID) policystore.PairingProfileInput {
	return policystore.PairingProfileInput{Name: name, Labels: labels, Mode: policy.Full, MaxUses: ptr(1), Lifetime: "24h"}
}

func (e *env) profile(in policystore.PairingProfileInput) policystore.PairingProfile {
	e.t.Helper()
	p, err := e.store.CreatePairingProfile(e.ctx, e.tenant, in)
	if err != nil {
		e.t.Fatalf("create pairing profile %+v: %v", in, err)
	}
	return p
}

// mint makes a token of profile p and returns it with its clear text.
func (e *env) mint(p policystore.PairingProfile) (policystore.PairingToken, string) {
	e.t.Helper()
	t, clear, err := e.store.CreatePairingToken(e.ctx, e.tenant, string(p.ID), e.author())
	if err != nil {
		e.t.Fatalf("mint token of %s: %v", p.ID, err)
	}
	return t, clear
}

// tokens lists p's tokens.
func (e *env) tokens(p policystore.PairingProfile) []policystore.PairingToken {
	e.t.Helper()
	ts, _, err := e.store.ListPairingTokens(e.ctx, e.tenant, string(p.ID), page.Request{Limit: page.MaxLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	return ts
}

func TestPairingProfileValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	web, db, prod := e.label("role", "web"), e.label("role", "db"), e.label("env", "prod")
	other := newEnv(t)
	foreign := other.label("role", "web")
	e.profile(profileIn("Linux web", web))

	with := func(f func(*policystore.PairingProfileInput)) policystore.PairingProfileInput {
		in := profileIn("p", web, prod)
		f(&in)
		return in
	}
	for _, tc := range []struct {
		name  string
		in    policystore.PairingProfileInput
		kind  usererr.Kind
		field []string
		msg   string // the first field's message
	}{
		{"no name", with(func(in *policystore.PairingProfileInput) { in.Name = "" }), usererr.Invalid, []string{"name"}, "is required"},
		{"name of 101 letters", with(func(in *policystore.PairingProfileInput) { in.Name = fmt.Sprintf("%0101d", 0) }), usererr.Invalid, []string{"name"}, "must be 1 to 100 characters"},
		{"name with a newline", with(func(in *policystore.PairingProfileInput) { in.Name = "a\nb" }), usererr.Invalid, []string{"name"}, "must not contain control or invisible characters"},
		{"name with spaces around", with(func(in *policystore.PairingProfileInput) { in.Name = " a" }), usererr.Invalid, []string{"name"}, "must not start or end with a space"},
		{"taken name, other case", with(func(in *policystore.PairingProfileInput) { in.Name = "LINUX WEB" }), usererr.Conflict, []string{"name"}, `a pairing profile named "LINUX WEB" already exists (names ignore case)`},
		{"unknown label", with(func(in *policystore.PairingProfileInput) { in.Labels = []policy.LabelID{web, policy.LabelID(newID())} }), usererr.Invalid, []string{"labels[1]"}, ""},
		{"another tenant's label", with(func(in *policystore.PairingProfileInput) { in.Labels = []policy.LabelID{foreign} }), usererr.Invalid, []string{"labels[0]"}, fmt.Sprintf("label %q not found", foreign)},
		{"malformed label", with(func(in *policystore.PairingProfileInput) { in.Labels = []policy.LabelID{"web"} }), usererr.Invalid, []string{"labels[0]"}, `label "web" not found`},
		{"two of a key", with(func(in *policystore.PairingProfileInput) { in.Labels = []policy.LabelID{web, prod, db} }), usererr.Invalid, []string{"labels[2]"},
			`second label of key "role" (also labels[0]): a host gets at most one value per key`},
		{"bad mode", with(func(in *policystore.PairingProfileInput) { in.Mode = "strict" }), usererr.Invalid, []string{"enforcement_mode"},
			`must be one of idle, visibility_only, selective, full, got "strict"`},
		{"neither limit", with(func(in *policystore.PairingProfileInput) { in.MaxUses = nil }), usererr.Invalid, []string{"max_uses"},
			"is required: the number of hosts each token may pair, or set unlimited: true instead"},
		{"both limits", with(func(in *policystore.PairingProfileInput) { in.Unlimited = true }), usererr.Invalid, []string{"unlimited"},
			"cannot be true when max_uses is set: give one or the other"},
		{"zero uses", with(func(in *policystore.PairingProfileInput) { in.MaxUses = ptr(0) }), usererr.Invalid, []string{"max_uses"},
			"must be from 1 to 1000000, got 0"},
		{"too many uses", with(func(in *policystore.PairingProfileInput) { in.MaxUses = ptr(1_000_001) }), usererr.Invalid, []string{"max_uses"},
			"must be from 1 to 1000000, got 1000001: for more, set unlimited: true instead"},
		{"no lifetime", with(func(in *policystore.PairingProfileInput) { in.Lifetime = "" }), usererr.Invalid, []string{"lifetime"}, ""},
		{"lifetime not a duration", with(func(in *policystore.PairingProfileInput) { in.Lifetime = "3 days" }), usererr.Invalid, []string{"lifetime"},
			`must be a duration such as 72h, 90m or 1h30m, got "3 days"`},
		{"lifetime too short", with(func(in *policystore.PairingProfileInput) { in.Lifetime = "59s" }), usererr.Invalid, []string{"lifetime"},
			`must be from 1m to 8760h (365 days), got "59s"`},
		{"lifetime too long", with(func(in *policystore.PairingProfileInput) { in.Lifetime = "8760h1s" }), usererr.Invalid, []string{"lifetime"}, ""},
		{"negative lifetime", with(func(in *policystore.PairingProfileInput) { in.Lifetime = "-1h" }), usererr.Invalid, []string{"lifetime"}, ""},
		{"fractional lifetime", with(func(in *policystore.PairingProfileInput) { in.Lifetime = "90.5s" }), usererr.Invalid, []string{"lifetime"},
			`must be a whole number of seconds, got "90.5s"`},
		{"everything wrong at once", policystore.PairingProfileInput{Name: " ", Labels: []policy.LabelID{"x"}, Mode: "x", Lifetime: "x"},
			usererr.Invalid, []string{"name", "labels[0]", "enforcement_mode", "max_uses", "lifetime"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.store.CreatePairingProfile(e.ctx, e.tenant, tc.in)
			ue := wantErr(t, err, tc.kind, tc.field...)
			if got := messages(ue, tc.field[0]); tc.msg != "" && (len(got) != 1 || got[0] != tc.msg) {
				t.Errorf("%s: messages %q, want %q", tc.field[0], got, tc.msg)
			}
		})
	}
	ps, _, err := e.store.ListPairingProfiles(e.ctx, e.tenant, page.Request{})
	if err != nil || len(ps) != 1 {
		t.Fatalf("profiles after refused creates: %+v, %v", ps, err)
	}

	// The bounds themselves are fine, and unlimited needs no max_uses.
	for _, in := range []policystore.PairingProfileInput{
		{Name: "min", MaxUses: ptr(1), Lifetime: "1m"},
		{Name: "max", MaxUses: ptr(1_000_000), Lifetime: "8760h", Mode: policy.Idle},
		{Name: fmt.Sprintf("%0100d", 0), Unlimited: true, Lifetime: "1h30m"},
	} {
		p := e.profile(in)
		if p.Mode == "" || (in.Unlimited != (p.MaxUses == nil)) || p.Labels == nil {
			t.Errorf("profile %+v from %+v", p, in)
		}
	}
}

func TestPairingProfileLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	web, db, prod := e.label("role", "web"), e.label("role", "db"), e.label("env", "prod")
	p := e.profile(policystore.PairingProfileInput{Name: "web", Labels: []policy.LabelID{prod, web}, Unlimited: true, Lifetime: "72h"})
	same(t, "created", []any{p.Labels, p.Mode, p.MaxUses, p.Lifetime}, []any{[]policy.LabelID{prod, web}, policystore.DefaultMode, (*int)(nil), 72 * time.Hour})
	got, err := e.store.GetPairingProfile(e.ctx, e.tenant, string(p.ID))
	if err != nil || got.Revision != p.Revision || got.Name != "web" {
		t.Fatalf("get: %+v, %v", got, err)
	}

	// A label a profile gives cannot be deleted, and says who uses it.
	ue := wantErr(t, e.store.DeleteLabel(e.ctx, e.tenant, string(web), ""), usererr.Conflict, "used_by")
	same(t, "users of role=web", messages(ue, "used_by"), []string{fmt.Sprintf(`pairing profile "web" (%s)`, p.ID)})

	// Tokens keep what they were minted with.
	t1, _ := e.mint(p)
	if t1.MaxUses != nil || t1.ExpiresAt.Sub(t1.CreatedAt) != 72*time.Hour || t1.CreatedBy != e.author() || t1.State(time.Now()) != policystore.TokenActive {
		t.Fatalf("token of an unlimited 72h profile: %+v", t1)
	}
	_, err = e.store.UpdatePairingProfile(e.ctx, e.tenant, string(p.ID), profileIn("web"), `"1"`)
	wantErr(t, err, usererr.PreconditionFailed, "If-Match")
	up, err := e.store.UpdatePairingProfile(e.ctx, e.tenant, string(p.ID),
		policystore.PairingProfileInput{Name: "web2", Labels: []policy.LabelID{db}, Mode: policy.Selective, MaxUses: ptr(3), Lifetime: "1h"}, policystore.ETag(p.Revision))
	if err != nil || up.Revision <= p.Revision || up.Name != "web2" || *up.MaxUses != 3 || up.Mode != policy.Selective || len(up.Labels) != 1 || up.Labels[0] != db {
		t.Fatalf("update: %+v, %v", up, err)
	}
	t2, clear2 := e.mint(up)
	if ts := e.tokens(up); len(ts) != 2 || ts[0].ID != t1.ID || ts[0].MaxUses != nil || *ts[1].MaxUses != 3 || ts[1].ID != t2.ID {
		t.Fatalf("tokens after the update: %+v", ts)
	}
	if err := e.store.DeleteLabel(e.ctx, e.tenant, string(web), ""); err != nil {
		t.Errorf("delete a label the profile no longer gives: %v", err)
	}

	// Revocation is idempotent and keeps the first time.
	r1, err := e.store.RevokePairingToken(e.ctx, e.tenant, string(up.ID), string(t1.ID))
	if err != nil || r1.RevokedAt == nil || r1.State(time.Now()) != policystore.TokenRevoked {
		t.Fatalf("revoke: %+v, %v", r1, err)
	}
	r2, err := e.store.RevokePairingToken(e.ctx, e.tenant, string(up.ID), string(t1.ID))
	if err != nil || !r2.RevokedAt.Equal(*r1.RevokedAt) {
		t.Fatalf("second revoke: %+v, %v", r2, err)
	}
	for _, ids := range [][2]string{{string(up.ID), newID()}, {newID(), string(t2.ID)}, {string(up.ID), "x"}} {
		_, err := e.store.RevokePairingToken(e.ctx, e.tenant, ids[0], ids[1])
		wantErr(t, err, usererr.NotFound)
	}

	// The list counts tokens (revoked ones too) and uses.
	if _, err := consume(e, t2.ID, clear2); err != nil {
		t.Fatal(err)
	}
	ps, _, err := e.store.ListPairingProfiles(e.ctx, e.tenant, page.Request{})
	if err != nil || len(ps) != 1 || ps[0].Tokens != 2 || ps[0].Uses != 1 {
		t.Fatalf("list: %+v, %v", ps, err)
	}

	// Deleting the profile takes its tokens along.
	if err := e.store.DeletePairingProfile(e.ctx, e.tenant, string(up.ID), policystore.ETag(up.Revision)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.GetPairingProfile(e.ctx, e.tenant, string(up.ID)); !usererr.Is(err, usererr.NotFound) {
		t.Errorf("get deleted: %v", err)
	}
	_, _, err = e.store.ListPairingTokens(e.ctx, e.tenant, string(up.ID), page.Request{})
	wantErr(t, err, usererr.NotFound)
	var left int
	if err := e.tenants.InTenant(e.ctx, e.tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(e.ctx, `SELECT count(*) FROM pairing_tokens`).Scan(&left)
	}); err != nil || left != 0 {
		t.Errorf("%d tokens left after deleting their profile: %v", left, err)
	}
	if err := e.store.DeleteLabel(e.ctx, e.tenant, string(db), ""); err != nil {
		t.Errorf("delete a label of a deleted profile: %v", err)
	}
}
