package tenants

import (
	"errors"
	"testing"
	"time"

	"github.com/remora-sec/remora/infra/usererr"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	s, clock := newStore(t)
	res := signup(t, s, "Acme", "Alice@Acme.example")
	sessions := map[string]bool{string(authenticate(t, s, res.Tokens.AccessToken).Session): true}
	for _, email := range []string{"Alice@Acme.example", "alice@acme.example", "ALICE@ACME.EXAMPLE"} {
		t.Run(email, func(t *testing.T) {
			clock.Advance(time.Hour)
			tok := login(t, s, email)
			if tok.User.ID != res.User.ID || tok.User.LastLoginAt == nil || !tok.User.LastLoginAt.Equal(clock.Now()) {
				t.Errorf("user = %+v, want last login at %v", tok.User, clock.Now())
			}
			var last time.Time
			noErr(t, s.Pool().QueryRow(t.Context(), `SELECT last_login_at FROM remora.users WHERE id = $1`, res.User.ID).Scan(&last))
			if !last.Equal(clock.Now()) {
				t.Errorf("last_login_at = %v, want %v", last, clock.Now())
			}
			p := authenticate(t, s, tok.AccessToken)
			if p.User != res.User.ID || p.Role != Owner || sessions[string(p.Session)] {
				t.Errorf("principal = %+v: want the owner in a new session", p)
			}
			sessions[string(p.Session)] = true
		})
	}

	// Wrong password and unknown email look the same, and change nothing.
	var before time.Time
	noErr(t, s.Pool().QueryRow(t.Context(), `SELECT last_login_at FROM remora.users WHERE id = $1`, res.User.ID).Scan(&before))
	clock.Advance(time.Hour)
	_, wrong := s.Login(t.Context(), "alice@acme.example", "not the password")
	_, unknown := s.Login(t.Context(), "bob@acme.example", testPassword)
	wantErr(t, wrong, usererr.Unauthenticated)
	wantErr(t, unknown, usererr.Unauthenticated)
	if wrong.Error() != unknown.Error() {
		t.Errorf("wrong password says %q, unknown email says %q", wrong, unknown)
	}
	var after time.Time
	noErr(t, s.Pool().QueryRow(t.Context(), `SELECT last_login_at FROM remora.users WHERE id = $1`, res.User.ID).Scan(&after))
	if !after.Equal(before) {
		t.Errorf("failed login moved last_login_at from %v to %v", before, after)
	}

	_, err := s.Login(t.Context(), "", "")
	wantErr(t, err, usererr.Invalid, "email", "password")
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	res := signup(t, s, "Acme", "alice@acme.example")
	other := login(t, s, "alice@acme.example") // a second session of the same user
	t0 := res.Tokens
	sid := authenticate(t, s, t0.AccessToken).Session

	t1, err := s.Refresh(ctx, t0.RefreshToken)
	noErr(t, err)
	if t1.RefreshToken == t0.RefreshToken || t1.AccessToken == t0.AccessToken || t1.User.ID != res.User.ID {
		t.Fatalf("refresh returned %+v", t1)
	}
	if p := authenticate(t, s, t1.AccessToken); p.Session != sid || p.User != res.User.ID {
		t.Errorf("refreshed principal = %+v, want session %s", p, sid)
	}
	t2, err := s.Refresh(ctx, t1.RefreshToken)
	noErr(t, err)
	authenticate(t, s, t2.AccessToken)

	// t0 was rotated: presenting it again is reuse, which revokes the session.
	_, err = s.Refresh(ctx, t0.RefreshToken)
	wantErr(t, err, usererr.Unauthenticated)
	if !errors.Is(err, errReuse) {
		t.Errorf("err = %v, want errReuse", err)
	}
	_, err = s.Refresh(ctx, t2.RefreshToken)
	wantErr(t, err, usererr.Unauthenticated)
	for i, tok := range []Tokens{t0, t1, t2} {
		t.Run("access token "+string(rune('0'+i)), func(t *testing.T) { refused(t, s, tok.AccessToken) })
	}
	var reason string
	noErr(t, s.Pool().QueryRow(ctx, `SELECT revoked_reason FROM remora.sessions WHERE id = $1 AND revoked_at IS NOT NULL`, sid).Scan(&reason))
	if reason != "refresh token reuse" {
		t.Errorf("revoked_reason = %q", reason)
	}

	// The user's other session is untouched.
	authenticate(t, s, other.AccessToken)
	if _, err := s.Refresh(ctx, other.RefreshToken); err != nil {
		t.Errorf("other session's refresh: %v", err)
	}

	_, err = s.Refresh(ctx, "")
	wantErr(t, err, usererr.Invalid, "refresh_token")
	for _, bad := range []string{"garbage", refreshPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", t0.AccessToken} {
		_, err = s.Refresh(ctx, bad)
		wantErr(t, err, usererr.Unauthenticated)
	}
}

func TestRefreshExpiry(t *testing.T) {
	t.Parallel()
	s, clock := newStore(t)
	ctx := t.Context()
	res := signup(t, s, "Acme", "alice@acme.example")

	clock.Advance(s.refreshTTL - time.Minute)
	t1, err := s.Refresh(ctx, res.Tokens.RefreshToken)
	if err != nil {
		t.Fatalf("refresh a minute before expiry: %v", err)
	}
	clock.Advance(2 * time.Minute)
	t2, err := s.Refresh(ctx, t1.RefreshToken) // each rotation starts a new lifetime
	if err != nil {
		t.Fatalf("refresh of the rotated token: %v", err)
	}
	authenticate(t, s, t2.AccessToken)

	clock.Advance(s.refreshTTL + time.Second)
	_, err = s.Refresh(ctx, t2.RefreshToken)
	wantErr(t, err, usererr.Unauthenticated)
	if errors.Is(err, errReuse) {
		t.Errorf("an expired token is reported as reuse: %v", err)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := t.Context()
	res := signup(t, s, "Acme", "alice@acme.example")
	other := login(t, s, "alice@acme.example")
	sid := authenticate(t, s, res.Tokens.AccessToken).Session

	noErr(t, s.Logout(ctx, res.Tokens.RefreshToken))
	_, err := s.Refresh(ctx, res.Tokens.RefreshToken)
	wantErr(t, err, usererr.Unauthenticated)
	refused(t, s, res.Tokens.AccessToken)
	if n := count(t, s.Pool(), `SELECT count(*) FROM remora.sessions WHERE id = $1 AND revoked_reason = 'logout'`, sid); n != 1 {
		t.Errorf("session not revoked for logout")
	}

	// Another session of the same user keeps working.
	authenticate(t, s, other.AccessToken)
	other2, err := s.Refresh(ctx, other.RefreshToken)
	noErr(t, err)
	authenticate(t, s, other2.AccessToken)

	// Unknown and repeated logouts are not errors; a missing token is.
	noErr(t, s.Logout(ctx, refreshPrefix+"unknown"))
	noErr(t, s.Logout(ctx, "garbage"))
	noErr(t, s.Logout(ctx, res.Tokens.RefreshToken))
	wantErr(t, s.Logout(ctx, ""), usererr.Invalid, "refresh_token")

	// Logging out with an already rotated refresh token ends its session too.
	noErr(t, s.Logout(ctx, other.RefreshToken))
	refused(t, s, other2.AccessToken)
	_, err = s.Refresh(ctx, other2.RefreshToken)
	wantErr(t, err, usererr.Unauthenticated)
}

// Sessions die with their user.
func TestDeleteUserEndsSessions(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	res := signup(t, s, "Acme", "alice@acme.example")
	bob := addUser(t, s, as(res.User), "bob@acme.example", Viewer)
	tok := login(t, s, "bob@acme.example")
	noErr(t, s.DeleteUser(t.Context(), as(res.User), bob.ID))
	refused(t, s, tok.AccessToken)
	_, err := s.Refresh(t.Context(), tok.RefreshToken)
	wantErr(t, err, usererr.Unauthenticated)
	_, err = s.Login(t.Context(), "bob@acme.example", testPassword)
	wantErr(t, err, usererr.Unauthenticated)
	if _, err := s.GetUser(t.Context(), res.Tenant.ID, bob.ID); !usererr.Is(err, usererr.NotFound) {
		t.Errorf("GetUser of deleted user: %v", err)
	}
	if n := count(t, s.Pool(), `SELECT count(*) FROM remora.sessions WHERE user_id = $1`, bob.ID); n != 0 {
		t.Errorf("deleted user keeps %d sessions", n)
	}
}
