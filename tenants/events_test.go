package tenants

import (
	"slices"
	"testing"

	"github.com/remora-sec/remora/infra/outbox"
	"github.com/remora-sec/remora/infra/page"
)

func eventTypes(t *testing.T, s *Store, res SignupResult) []string {
	t.Helper()
	evs, _, err := outbox.List(t.Context(), s, res.Tenant.ID, outbox.Filter{}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// TestAuthEvents: a wrong password for a known email is recorded in its
// tenant; an unknown email, having no tenant, nowhere; a logout once, even
// when repeated; control-schema changes that fail leave no event.
func TestAuthEvents(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	res := signup(t, s, "Acme", "ada@acme.example")
	other := signup(t, s, "Other", "bob@other.example")
	want := []string{"tenant.created", "user.created"}
	if got := eventTypes(t, s, res); !slices.Equal(got, want) {
		t.Fatalf("after signup: %v, want %v", got, want)
	}

	if _, err := s.Login(ctx, "nobody@acme.example", testPassword); err == nil {
		t.Fatal("unknown email logged in")
	}
	if _, err := s.Login(ctx, "ada@acme.example", "wrong password"); err == nil {
		t.Fatal("wrong password logged in")
	}
	tok, err := s.Login(ctx, "ada@acme.example", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	// A refresh token used twice: the second use revokes the session.
	if _, err := s.Refresh(ctx, tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(ctx, tok.RefreshToken); err == nil {
		t.Fatal("a refresh token worked twice")
	}
	tok, err = s.Login(ctx, "ada@acme.example", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Logout(ctx, tok.RefreshToken); err != nil {
			t.Fatal(err)
		}
	}
	want = append(want, "auth.login_failed", "auth.login", "auth.session_revoked", "auth.login", "auth.logout")
	if got := eventTypes(t, s, res); !slices.Equal(got, want) {
		t.Fatalf("after the logins: %v, want %v", got, want)
	}
	if got := eventTypes(t, s, other); !slices.Equal(got, []string{"tenant.created", "user.created"}) {
		t.Fatalf("the other tenant's log: %v", got)
	}
	// A duplicate email fails after nothing was recorded, and so records
	// nothing.
	owner := Principal{Tenant: res.Tenant.ID, User: res.User.ID, Role: Owner}
	if _, err := s.CreateUser(ctx, owner, NewUser{Email: "bob@other.example", Password: testPassword, Role: Viewer}); err == nil {
		t.Fatal("an email registered twice")
	}
	if got := eventTypes(t, s, res); !slices.Equal(got, want) {
		t.Fatalf("after a refused user: %v, want %v", got, want)
	}
}
