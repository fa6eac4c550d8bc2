package gateway_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func TestLoginRefreshLogout(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("alice")
	s := decode[tokens](t, e.must(201, "POST", "/api/v1/signup", "", map[string]string{"organization": "Acme", "email": email, "password": testPassword}))
	e.must(200, "GET", "/api/v1/tenant", s.AccessToken, nil)

	// Login: wrong password and unknown email look the same.
	bad1 := e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "wrong password!!"})
	bad2 := e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": uniqueEmail("nobody"), "password": testPassword})
	wantProblem(t, bad1, 401, "")
	wantProblem(t, bad2, 401, "")
	if decode[problem](t, bad1).Detail != decode[problem](t, bad2).Detail {
		t.Errorf("login errors differ for wrong password and unknown email: %s vs %s", bad1.body, bad2.body)
	}
	l := decode[tokens](t, e.must(200, "POST", "/api/v1/auth/login", "", map[string]string{"email": strings.ToUpper(email), "password": testPassword}))

	// Refresh rotates: the new pair works, the old refresh token is spent.
	r1 := decode[tokens](t, e.must(200, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": l.RefreshToken}))
	e.must(200, "GET", "/api/v1/tenant", r1.AccessToken, nil)
	if r1.RefreshToken == l.RefreshToken {
		t.Fatal("refresh token not rotated")
	}
	// Reuse of the spent token revokes the whole family: the legitimate
	// successor and its access token die with it.
	wantProblem(t, e.call("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": l.RefreshToken}), 401, "")
	wantProblem(t, e.call("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r1.RefreshToken}), 401, "")
	wantProblem(t, e.call("GET", "/api/v1/tenant", r1.AccessToken, nil), 401, "")
	wantProblem(t, e.call("GET", "/api/v1/tenant", l.AccessToken, nil), 401, "")
	// Other sessions are unaffected.
	e.must(200, "GET", "/api/v1/tenant", s.AccessToken, nil)

	// Logout ends the session: refresh and access tokens both stop working.
	e.must(204, "POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": s.RefreshToken})
	wantProblem(t, e.call("GET", "/api/v1/tenant", s.AccessToken, nil), 401, "")
	wantProblem(t, e.call("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": s.RefreshToken}), 401, "")
	// Logging out an unknown token reveals nothing.
	e.must(204, "POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": "rrt_unknown"})
}

// TestForgedTokens: anything but a token this server signed, unexpired and
// unaltered, with HS256, is 401.
func TestForgedTokens(t *testing.T) {
	e := newEnv(t)
	o := e.signup("Forge")
	good := o.owner
	parts := strings.Split(good, ".")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(good, claims); err != nil {
		t.Fatal(err)
	}
	sign := func(m jwt.SigningMethod, key any, mutate func(jwt.MapClaims)) string {
		c := jwt.MapClaims{}
		for k, v := range claims {
			c[k] = v
		}
		if mutate != nil {
			mutate(c)
		}
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	b64 := base64.RawURLEncoding
	tamper := func(field, value string) string {
		payload, _ := b64.DecodeString(parts[1])
		p := strings.Replace(string(payload), `"`+field+`":"`+claims[field].(string)+`"`, `"`+field+`":"`+value+`"`, 1)
		if p == string(payload) {
			t.Fatalf("tamper: %s not found in %s", field, payload)
		}
		return parts[0] + "." + b64.EncodeToString([]byte(p)) + "." + parts[2]
	}
	other := e.signup("Other")
	otherClaims := jwt.MapClaims{}
	jwt.NewParser().ParseUnverified(other.owner, otherClaims)

	forged := map[string]string{
		"wrong key":         sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), nil),
		"alg none":          b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".",
		"alg none signed":   sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil),
		"HS512 right key":   sign(jwt.SigningMethodHS512, testSecret, nil),
		"expired":           sign(jwt.SigningMethodHS256, testSecret, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }),
		"no expiry":         sign(jwt.SigningMethodHS256, testSecret, func(c jwt.MapClaims) { delete(c, "exp") }),
		"tampered role":     tamper("role", "viewer"),
		"tampered tenant":   tamper("tenant", otherClaims["tenant"].(string)),
		"tampered sub":      tamper("sub", otherClaims["sub"].(string)),
		"other issuer":      sign(jwt.SigningMethodHS256, testSecret, func(c jwt.MapClaims) { c["iss"] = "someone" }),
		"swapped tenant":    sign(jwt.SigningMethodHS256, testSecret, func(c jwt.MapClaims) { c["tenant"] = otherClaims["tenant"] }),
		"garbage":           "not-a-token",
		"unknown api key":   "rmr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"truncated":         good[:len(good)-4],
		"signature removed": parts[0] + "." + parts[1] + ".",
	}
	for name, tok := range forged {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, e.call("GET", "/api/v1/tenant", tok, nil), http.StatusUnauthorized, "")
		})
	}
	for name, h := range map[string]string{"no header": "", "basic": "Basic YTpi", "bearer only": "Bearer", "bearer blank": "Bearer  "} {
		t.Run(name, func(t *testing.T) {
			r := e.call("GET", "/api/v1/tenant", "", nil, "Authorization", h)
			wantProblem(t, r, http.StatusUnauthorized, "")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// The genuine token still works: the failures above were the forgeries.
	e.must(200, "GET", "/api/v1/tenant", good, nil)
}

func TestAPIKeyRevocation(t *testing.T) {
	e := newEnv(t)
	o := e.signup("Keys")
	k := decode[struct{ ID, Secret, Prefix string }](t, e.must(201, "POST", "/api/v1/api-keys", o.owner, map[string]string{"name": "ci", "role": "admin"}))
	if !strings.HasPrefix(k.Secret, "rmr_") || !strings.HasPrefix(k.Secret, k.Prefix) {
		t.Fatalf("secret %q / prefix %q", k.Secret, k.Prefix)
	}
	e.must(200, "GET", "/api/v1/users", k.Secret, nil)
	listed := decode[struct {
		Items []struct {
			ID         string
			LastUsedAt *time.Time `json:"last_used_at"`
			Secret     string
		}
	}](t, e.must(200, "GET", "/api/v1/api-keys", o.owner, nil))
	if len(listed.Items) != 1 || listed.Items[0].LastUsedAt == nil || listed.Items[0].Secret != "" {
		t.Fatalf("list after use: %+v", listed)
	}
	// A key can revoke itself, and revocation bites on the next request.
	e.must(204, "DELETE", "/api/v1/api-keys/"+k.ID, k.Secret, nil)
	wantProblem(t, e.call("GET", "/api/v1/users", k.Secret, nil), 401, "")
	wantProblem(t, e.call("GET", "/api/v1/api-keys/"+k.ID, o.owner, nil), 404, "")
	wantProblem(t, e.call("DELETE", "/api/v1/api-keys/"+k.ID, o.owner, nil), 404, "")
	if n := len(decode[struct{ Items []any }](t, e.must(200, "GET", "/api/v1/api-keys", o.owner, nil)).Items); n != 0 {
		t.Fatalf("revoked key still listed (%d items)", n)
	}
}
