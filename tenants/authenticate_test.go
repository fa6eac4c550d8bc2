package tenants

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A uuid that names nothing in the database.
const unknownID = "00000000-0000-4000-8000-000000000001"

func segment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	noErr(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// unverifiedClaims returns the claims of tok, edited by edit.
func unverifiedClaims(t *testing.T, tok string, edit func(jwt.MapClaims)) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, c); err != nil {
		t.Fatalf("parse %q: %v", tok, err)
	}
	if edit != nil {
		edit(c)
	}
	return c
}

func sign(t *testing.T, m jwt.SigningMethod, key []byte, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	noErr(t, err)
	return s
}

func TestAuthenticateRejectsForgedTokens(t *testing.T) {
	t.Parallel()
	s, clock := newStore(t)
	res := signup(t, s, "Acme", "alice@acme.example")
	good := res.Tokens.AccessToken
	parts := strings.Split(good, ".")
	header, payload, sig := parts[0], parts[1], parts[2]
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims { return unverifiedClaims(t, good, edit) }
	set := func(k string, v any) func(jwt.MapClaims) { return func(c jwt.MapClaims) { c[k] = v } }
	del := func(k string) func(jwt.MapClaims) { return func(c jwt.MapClaims) { delete(c, k) } }
	hs256 := func(c jwt.Claims) string { return sign(t, jwt.SigningMethodHS256, testJWTSecret, c) }

	// A logged-out session and a deleted user.
	revoked := login(t, s, "alice@acme.example")
	noErr(t, s.Logout(t.Context(), revoked.RefreshToken))
	bob := addUser(t, s, as(res.User), "bob@acme.example", Viewer)
	bobTok := login(t, s, "bob@acme.example")
	noErr(t, s.DeleteUser(t.Context(), as(res.User), bob.ID))

	none := segment(t, map[string]string{"alg": "none", "typ": "JWT"})
	libNone, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	noErr(t, err)
	rs256 := segment(t, map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + payload
	rsSig, err := jwt.SigningMethodHS256.Sign(rs256, testJWTSecret)
	noErr(t, err)

	tests := []struct{ name, token string }{
		{"signed with another key", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-0123456789"), claims(nil))},
		{"alg none, empty signature", none + "." + payload + "."},
		{"alg none, real signature", none + "." + payload + "." + sig},
		{"alg none by the library", libNone},
		{"HS384 with the right key", sign(t, jwt.SigningMethodHS384, testJWTSecret, claims(nil))},
		{"HS512 with the right key", sign(t, jwt.SigningMethodHS512, testJWTSecret, claims(nil))},
		{"RS256 header, HMAC signature", rs256 + "." + base64.RawURLEncoding.EncodeToString(rsSig)},
		{"tampered tenant", header + "." + segment(t, claims(set("tenant", unknownID))) + "." + sig},
		{"tampered role", header + "." + segment(t, claims(set("role", "viewer"))) + "." + sig},
		{"tampered subject", header + "." + segment(t, claims(set("sub", string(bob.ID)))) + "." + sig},
		{"tampered expiry", header + "." + segment(t, claims(set("exp", clock.Now().Add(time.Hour*24*365).Unix()))) + "." + sig},
		{"truncated signature", good[:len(good)-4]},
		{"no signature", header + "." + payload + "."},
		{"signed, wrong issuer", hs256(claims(set("iss", "evil")))},
		{"signed, no issuer", hs256(claims(del("iss")))},
		{"signed, no expiry", hs256(claims(del("exp")))},
		{"signed, expired", hs256(claims(set("exp", clock.Now().Add(-time.Second).Unix())))},
		{"signed, issued in the future", hs256(claims(set("iat", clock.Now().Add(time.Hour).Unix())))},
		{"signed, no session", hs256(claims(del("sid")))},
		{"signed, no token id", hs256(claims(del("jti")))},
		{"signed, subject not a uuid", hs256(claims(set("sub", "alice")))},
		{"signed, session in another tenant", hs256(claims(set("tenant", unknownID)))},
		{"signed, session of another user", hs256(claims(set("sub", unknownID)))},
		{"signed, unknown session", hs256(claims(set("sid", unknownID)))},
		{"garbage", "garbage"},
		{"garbage segments", "a.b.c"},
		{"dots", ".."},
		{"header only", header},
		{"refresh token", res.Tokens.RefreshToken},
		{"api key prefix only", apiKeyPrefix},
		{"unknown api key", apiKeyPrefix + strings.Repeat("A", 43)},
		{"with Bearer scheme", "Bearer " + good},
		{"empty", ""},
		{"revoked session", revoked.AccessToken},
		{"deleted user", bobTok.AccessToken},
	}
	authenticate(t, s, good)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { refused(t, s, tt.token) })
	}
	authenticate(t, s, good)

	// Access tokens live 15 minutes.
	clock.Advance(14 * time.Minute)
	authenticate(t, s, good)
	clock.Advance(2 * time.Minute)
	refused(t, s, good)
}

// The principal carries the role in the database, not the one in the token,
// so a role change takes effect on the very next request.
func TestAuthenticateUsesCurrentRole(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	res := signup(t, s, "Acme", "alice@acme.example")
	owner := authenticate(t, s, res.Tokens.AccessToken)
	ed := addUser(t, s, owner, "ed@acme.example", Editor)
	tok := login(t, s, "ed@acme.example")
	if p := authenticate(t, s, tok.AccessToken); p.Role != Editor || p.User != ed.ID {
		t.Fatalf("principal = %+v, want editor", p)
	}
	for _, role := range []Role{Viewer, Admin, Owner, Editor} {
		_, err := s.UpdateUser(t.Context(), owner, ed.ID, UserChange{Role: &role})
		noErr(t, err)
		if p := authenticate(t, s, tok.AccessToken); p.Role != role {
			t.Errorf("after change to %s, principal role = %s", role, p.Role)
		}
	}
	if c := unverifiedClaims(t, tok.AccessToken, nil); c["role"] != string(Editor) {
		t.Errorf("token role claim = %v; the test means nothing unless it stays editor", c["role"])
	}
}
