package tenants

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/page"
	"github.com/remora-sec/remora/infra/pg/pgtest"
	"github.com/remora-sec/remora/infra/usererr"
)

func TestNewStore(t *testing.T) {
	t.Parallel()
	if _, err := NewStore(nil, Options{JWTSecret: make([]byte, 31)}); err == nil {
		t.Error("NewStore accepts a 31-byte JWT secret")
	}
	s, err := NewStore(nil, Options{JWTSecret: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if s.tokens.ttl != 15*time.Minute || s.refreshTTL != 30*24*time.Hour || s.now == nil {
		t.Errorf("defaults: access %v, refresh %v", s.tokens.ttl, s.refreshTTL)
	}
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	a := signup(t, s, "Acme", "alice@acme.example")
	b := signup(t, s, "Globex", "hank@globex.example")
	ownerA := authenticate(t, s, a.Tokens.AccessToken)
	ownerB := authenticate(t, s, b.Tokens.AccessToken)
	bob := addUser(t, s, ownerA, "bob@acme.example", Viewer)
	keyA, secretA := addKey(t, s, ownerA, "acme ci", Viewer)
	keyB, _ := addKey(t, s, ownerB, "globex ci", Viewer)

	tests := []struct {
		name string
		do   func() error
	}{
		{"GetUser", func() error { _, err := s.GetUser(ctx, ownerB.Tenant, bob.ID); return err }},
		{"GetUser of the owner", func() error { _, err := s.GetUser(ctx, ownerB.Tenant, a.User.ID); return err }},
		{"UpdateUser email", func() error {
			_, err := s.UpdateUser(ctx, ownerB, bob.ID, UserChange{Email: ptr("bob@globex.example")})
			return err
		}},
		{"UpdateUser role", func() error { _, err := s.UpdateUser(ctx, ownerB, bob.ID, UserChange{Role: ptr(Admin)}); return err }},
		{"UpdateUser of the owner", func() error {
			_, err := s.UpdateUser(ctx, ownerB, a.User.ID, UserChange{Role: ptr(Viewer)})
			return err
		}},
		{"DeleteUser", func() error { return s.DeleteUser(ctx, ownerB, bob.ID) }},
		{"DeleteUser of the owner", func() error { return s.DeleteUser(ctx, ownerB, a.User.ID) }},
		{"GetAPIKey", func() error { _, err := s.GetAPIKey(ctx, ownerB.Tenant, keyA.ID); return err }},
		{"RevokeAPIKey", func() error { return s.RevokeAPIKey(ctx, ownerB, keyA.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.do(), usererr.NotFound) })
	}

	// Another tenant's object and no object at all look the same.
	_, other := s.GetUser(ctx, ownerB.Tenant, bob.ID)
	_, none := s.GetUser(ctx, ownerB.Tenant, unknownID)
	if other.Error() != none.Error() {
		t.Errorf("other tenant's user: %q; unknown user: %q", other, none)
	}

	// Tenant A is intact.
	if u, err := s.GetUser(ctx, ownerA.Tenant, bob.ID); err != nil || u.Email != "bob@acme.example" || u.Role != Viewer {
		t.Errorf("bob = %+v, %v", u, err)
	}
	if u, err := s.GetUser(ctx, ownerA.Tenant, a.User.ID); err != nil || u.Role != Owner {
		t.Errorf("alice = %+v, %v", u, err)
	}
	authenticate(t, s, secretA)

	// Lists hold only the tenant's own.
	users, _, err := s.ListUsers(ctx, ownerB.Tenant, page.Request{Limit: 10})
	noErr(t, err)
	if len(users) != 1 || users[0].ID != b.User.ID {
		t.Errorf("B's users = %+v", users)
	}
	keys, _, err := s.ListAPIKeys(ctx, ownerB.Tenant, page.Request{Limit: 10})
	noErr(t, err)
	if len(keys) != 1 || keys[0].ID != keyB.ID {
		t.Errorf("B's keys = %+v", keys)
	}
}

// TestInTenant runs on a pool of one connection, so that it can also check
// that the tenant's search_path does not outlive the transaction.
// TestInTenantRead: the read path is pinned like InTenant and cannot write.
func TestInTenantRead(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := newStore(t)
	a := signup(t, s, "Initech", "peter@initech.example").Tenant.ID
	noErr(t, s.InTenantRead(ctx, a, func(tx pgx.Tx) error {
		if n := count(t, tx, `SELECT count(*) FROM settings`); n != 1 {
			t.Errorf("settings rows = %d", n)
		}
		return nil
	}))
	err := s.InTenantRead(ctx, a, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE settings SET outbound_enforcement = true`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("write in InTenantRead: err = %v, want a read-only refusal", err)
	}
	wantErr(t, s.InTenantRead(ctx, "00000000-0000-4000-8000-000000000000", func(pgx.Tx) error { return nil }), usererr.NotFound)
}

func TestInTenant(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, url := pgtest.NewPool(t)
	cfg, err := pgxpool.ParseConfig(url)
	noErr(t, err)
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	noErr(t, err)
	t.Cleanup(pool.Close)
	_, err = Migrate(ctx, pool)
	noErr(t, err)
	s, err := NewStore(pool, Options{JWTSecret: testJWTSecret})
	noErr(t, err)
	a := signup(t, s, "Acme", "alice@acme.example").Tenant.ID
	b := signup(t, s, "Globex", "hank@globex.example").Tenant.ID
	schemaA, _ := a.Schema()

	// A temporary table left on the (single, pooled) connection by one
	// tenant's work must not shadow another tenant's table.
	noErr(t, s.InTenant(ctx, a, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TEMP TABLE settings (x int)`)
		return err
	}))
	noErr(t, s.InTenant(ctx, b, func(tx pgx.Tx) error {
		if n := count(t, tx, `SELECT count(*) FROM settings`); n != 1 {
			t.Errorf("tenant B reads a temp table: settings rows = %d, want its own 1", n)
		}
		return nil
	}))

	noErr(t, s.InTenant(ctx, a, func(tx pgx.Tx) error {
		var schemas []string
		noErr(t, tx.QueryRow(ctx, `SELECT current_schemas(false)`).Scan(&schemas))
		// The tenant's schema, then at most this session's temp schema.
		if len(schemas) == 0 || schemas[0] != schemaA || len(schemas) > 2 || len(schemas) == 2 && !strings.HasPrefix(schemas[1], "pg_temp_") {
			t.Errorf("current_schemas = %q, want [%s] and at most pg_temp after it", schemas, schemaA)
		}
		if n := count(t, tx, `SELECT count(*) FROM settings`); n != 1 {
			t.Errorf("settings rows = %d", n)
		}
		var users *string
		noErr(t, tx.QueryRow(ctx, `SELECT to_regclass('users')::text`).Scan(&users))
		if users != nil {
			t.Errorf("unqualified users resolves to %s inside a tenant", *users)
		}
		_, err := tx.Exec(ctx, `UPDATE settings SET outbound_enforcement = true`)
		return err
	}))

	enforcing := func(id ids.TenantID) bool {
		t.Helper()
		var on bool
		noErr(t, s.InTenant(ctx, id, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT outbound_enforcement FROM settings`).Scan(&on)
		}))
		return on
	}
	if !enforcing(a) || enforcing(b) {
		t.Errorf("enforcing: A %v, B %v; want true, false", enforcing(a), enforcing(b))
	}

	// fn's error rolls the transaction back and comes out unchanged.
	boom := errors.New("boom")
	err = s.InTenant(ctx, a, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE settings SET outbound_enforcement = false`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
	if !enforcing(a) {
		t.Error("a failed fn's write was committed")
	}

	// The search_path was local to the transactions.
	var path string
	noErr(t, pool.QueryRow(ctx, `SHOW search_path`).Scan(&path))
	if path != `"$user", public` {
		t.Errorf("search_path after InTenant = %q", path)
	}

	for _, id := range []ids.TenantID{unknownID, "not-a-uuid", ""} {
		t.Run("tenant "+string(id), func(t *testing.T) {
			err := s.InTenant(ctx, id, func(pgx.Tx) error {
				t.Error("fn ran for a tenant that does not exist")
				return nil
			})
			wantErr(t, err, usererr.NotFound)
		})
	}
}
