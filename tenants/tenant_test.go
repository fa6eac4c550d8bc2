package tenants

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/remora-sec/remora/infra/usererr"
)

func TestDeleteTenant(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	a := signup(t, s, "Acme Corp", "alice@acme.example")
	b := signup(t, s, "Globex", "hank@globex.example")
	owner := authenticate(t, s, a.Tokens.AccessToken)
	admin := addUser(t, s, owner, "adam@acme.example", Admin)
	_, ownerKey := addKey(t, s, owner, "owner key", Owner)
	_, viewerKey := addKey(t, s, owner, "viewer key", Viewer)
	schema, err := a.Tenant.ID.Schema()
	noErr(t, err)

	refusals := []struct {
		name    string
		actor   Principal
		confirm string
		kind    usererr.Kind
	}{
		{"admin", as(admin), "Acme Corp", usererr.Forbidden},
		{"viewer key", authenticate(t, s, viewerKey), "Acme Corp", usererr.Forbidden},
		{"empty confirm", owner, "", usererr.Invalid},
		{"wrong confirm", owner, "Globex", usererr.Invalid},
		{"confirm in other case", owner, "acme corp", usererr.Invalid},
		{"confirm with a trailing space", owner, "Acme Corp ", usererr.Invalid},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			err := s.DeleteTenant(ctx, tt.actor, tt.confirm)
			if tt.kind == usererr.Invalid {
				wantErr(t, err, tt.kind, "confirm")
			} else {
				wantErr(t, err, tt.kind)
			}
			if !schemaExists(t, s, schema) {
				t.Fatal("schema dropped by a refused deletion")
			}
			authenticate(t, s, a.Tokens.AccessToken)
		})
	}

	noErr(t, s.DeleteTenant(ctx, owner, "Acme Corp"))

	if schemaExists(t, s, schema) {
		t.Errorf("schema %s still exists", schema)
	}
	for _, table := range []string{"tenants WHERE id = $1", "users WHERE tenant_id = $1", "sessions WHERE tenant_id = $1", "api_keys WHERE tenant_id = $1"} {
		if n := count(t, s.Pool(), `SELECT count(*) FROM remora.`+table, a.Tenant.ID); n != 0 {
			t.Errorf("%s: %d rows left", table, n)
		}
	}
	refused(t, s, a.Tokens.AccessToken)
	refused(t, s, ownerKey)
	refused(t, s, viewerKey)
	_, err = s.Refresh(ctx, a.Tokens.RefreshToken)
	wantErr(t, err, usererr.Unauthenticated)
	_, err = s.Login(ctx, "alice@acme.example", testPassword)
	wantErr(t, err, usererr.Unauthenticated)
	_, err = s.GetTenant(ctx, a.Tenant.ID)
	wantErr(t, err, usererr.NotFound)
	wantErr(t, s.InTenant(ctx, a.Tenant.ID, func(pgx.Tx) error { return nil }), usererr.NotFound)
	wantErr(t, s.DeleteTenant(ctx, owner, "Acme Corp"), usererr.NotFound)

	// The other tenant is untouched.
	authenticate(t, s, b.Tokens.AccessToken)
	if got, err := s.GetTenant(ctx, b.Tenant.ID); err != nil || got.Name != "Globex" {
		t.Errorf("GetTenant(B) = %+v, %v", got, err)
	}

	// The owner's email is free again.
	signup(t, s, "Acme Reborn", "alice@acme.example")
}
