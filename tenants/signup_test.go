package tenants

import (
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/infra/ids"
	"github.com/remora-sec/remora/infra/migrate"
	"github.com/remora-sec/remora/infra/usererr"
)

func TestSignup(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	res := signup(t, s, "Acme Corp", "Alice@Acme.example")

	tn, u, tok := res.Tenant, res.User, res.Tokens
	if !ids.Valid(string(tn.ID)) || tn.Name != "Acme Corp" || tn.SchemaVersion != tenantMigrations.Latest() || tn.CreatedAt.IsZero() {
		t.Errorf("tenant = %+v", tn)
	}
	if !ids.Valid(string(u.ID)) || u.Tenant != tn.ID || u.Email != "Alice@Acme.example" || u.Role != Owner {
		t.Errorf("user = %+v", u)
	}
	if u.LastLoginAt == nil || u.LastLoginAt.IsZero() {
		t.Errorf("signup logs the owner in, but last_login_at = %v", u.LastLoginAt)
	}
	if tok.User.ID != u.ID || tok.AccessToken == "" || !strings.HasPrefix(tok.RefreshToken, refreshPrefix) || tok.ExpiresIn != 15*time.Minute {
		t.Errorf("tokens = %+v", tok)
	}
	p := authenticate(t, s, tok.AccessToken)
	if p.Tenant != tn.ID || p.User != u.ID || p.Role != Owner || !ids.Valid(string(p.Session)) || p.APIKey != "" {
		t.Errorf("principal = %+v", p)
	}

	schema, err := tn.ID.Schema()
	noErr(t, err)
	if !schemaExists(t, s, schema) {
		t.Fatalf("schema %s missing", schema)
	}
	if v, err := migrate.Version(ctx, s.Pool(), schema); err != nil || v != tenantMigrations.Latest() {
		t.Errorf("tenant schema version = %d, %v; want %d", v, err, tenantMigrations.Latest())
	}
	if n := count(t, s.Pool(), `SELECT count(*) FROM `+schema+`.settings`); n != 1 {
		t.Errorf("settings rows = %d, want 1", n)
	}

	// Secrets are stored only as hashes.
	var hash string
	noErr(t, s.Pool().QueryRow(ctx, `SELECT password_hash FROM remora.users WHERE id = $1`, u.ID).Scan(&hash))
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, testPassword) {
		t.Errorf("password_hash = %q", hash)
	}
	if n := count(t, s.Pool(), `SELECT count(*) FROM remora.refresh_tokens WHERE token_hash = $1`, hashSecret(tok.RefreshToken)); n != 1 {
		t.Errorf("refresh token rows by hash = %d, want 1", n)
	}

	got, err := s.GetTenant(ctx, tn.ID)
	if err != nil || got.ID != tn.ID || got.Name != tn.Name || got.SchemaVersion != tenantMigrations.Latest() {
		t.Errorf("GetTenant = %+v, %v", got, err)
	}
}

// A failing signup rolls back everything it did: the tenant row and the
// schema were created before the duplicate email was noticed.
func TestSignupDuplicateEmailLeavesNothing(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	signup(t, s, "Acme", "alice@acme.example")
	for _, email := range []string{"alice@acme.example", "ALICE@ACME.EXAMPLE", "Alice@Acme.Example"} {
		t.Run(email, func(t *testing.T) {
			_, err := s.Signup(t.Context(), SignupRequest{Organization: "Other", Email: email, Password: testPassword})
			wantErr(t, err, usererr.Conflict, "email")
			if n := count(t, s.Pool(), `SELECT count(*) FROM remora.tenants`); n != 1 {
				t.Errorf("tenants = %d, want 1", n)
			}
			if n := count(t, s.Pool(), `SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 't\_%'`); n != 1 {
				t.Errorf("tenant schemas = %d, want 1", n)
			}
			if n := count(t, s.Pool(), `SELECT count(*) FROM remora.users`); n != 1 {
				t.Errorf("users = %d, want 1", n)
			}
		})
	}
}

func TestSignupValidation(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ok := SignupRequest{Organization: "Acme", Email: "alice@acme.example", Password: testPassword}
	tests := []struct {
		name   string
		edit   func(*SignupRequest)
		fields []string
	}{
		{"empty organization", func(r *SignupRequest) { r.Organization = "" }, []string{"organization"}},
		{"blank organization", func(r *SignupRequest) { r.Organization = "   " }, []string{"organization"}},
		{"organization of 101 chars", func(r *SignupRequest) { r.Organization = strings.Repeat("a", 101) }, []string{"organization"}},
		{"organization with leading space", func(r *SignupRequest) { r.Organization = " Acme" }, []string{"organization"}},
		{"organization with trailing space", func(r *SignupRequest) { r.Organization = "Acme " }, []string{"organization"}},
		{"empty email", func(r *SignupRequest) { r.Email = "" }, []string{"email"}},
		{"email bad", func(r *SignupRequest) { r.Email = "bad" }, []string{"email"}},
		{"email without dot in domain", func(r *SignupRequest) { r.Email = "a@b" }, []string{"email"}},
		{"email with display name", func(r *SignupRequest) { r.Email = "Alice <a@b.example>" }, []string{"email"}},
		{"email with surrounding space", func(r *SignupRequest) { r.Email = " a@b.example" }, []string{"email"}},
		{"password of 11 chars", func(r *SignupRequest) { r.Password = strings.Repeat("p", 11) }, []string{"password"}},
		{"password of 1025 chars", func(r *SignupRequest) { r.Password = strings.Repeat("p", 1025) }, []string{"password"}},
		{"everything", func(r *SignupRequest) { *r = SignupRequest{} }, []string{"organization", "email", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ok
			tt.edit(&req)
			_, err := s.Signup(t.Context(), req)
			wantErr(t, err, usererr.Invalid, tt.fields...)
			if ue, _ := usererr.As(err); len(ue.Fields) != len(tt.fields) {
				t.Errorf("fields = %+v, want only %q", ue.Fields, tt.fields)
			}
		})
	}
	if n := count(t, s.Pool(), `SELECT count(*) FROM remora.tenants`); n != 0 {
		t.Errorf("tenants = %d after invalid signups, want 0", n)
	}
}

// Limits count characters, not bytes, in Go and in the database alike.
func TestSignupAcceptsBoundaries(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	org := strings.Repeat("é", 100) // 200 bytes
	res, err := s.Signup(t.Context(), SignupRequest{Organization: org, Email: "a@b.example", Password: strings.Repeat("ü", 12)})
	if err != nil {
		t.Fatalf("Signup at the limits: %v", err)
	}
	if res.Tenant.Name != org {
		t.Errorf("name = %q", res.Tenant.Name)
	}
	if _, err := s.Login(t.Context(), "a@b.example", strings.Repeat("ü", 12)); err != nil {
		t.Errorf("Login with a non-ASCII password: %v", err)
	}
}
