package tenants

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h1, err := hashPassword(testPassword)
	noErr(t, err)
	h2, err := hashPassword(testPassword)
	noErr(t, err)

	if want := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$", argon2.Version, argonMemory, argonTime, argonThreads); !strings.HasPrefix(h1, want) {
		t.Errorf("hash = %q, want prefix %q", h1, want)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are equal: not salted")
	}
	for _, h := range []string{h1, h2} {
		if !passwordMatches(h, testPassword) {
			t.Errorf("passwordMatches(%q, right password) = false", h)
		}
	}
	for _, pw := range []string{"correct horse battery stapl", "Correct horse battery staple", testPassword + " ", ""} {
		if passwordMatches(h1, pw) {
			t.Errorf("passwordMatches(hash, %q) = true", pw)
		}
	}
}

// Hashes keep their parameters, so ones made with other (older) settings
// still verify.
func TestPasswordMatchesOtherParameters(t *testing.T) {
	t.Parallel()
	salt := []byte("0123456789abcdef")
	b64 := base64.RawStdEncoding
	key := argon2.IDKey([]byte("old password!"), salt, 1, 8*1024, 2, 16)
	h := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, 8*1024, 1, 2, b64.EncodeToString(salt), b64.EncodeToString(key))
	if !passwordMatches(h, "old password!") {
		t.Error("hash with other parameters does not verify")
	}
	if passwordMatches(h, "old password?") {
		t.Error("wrong password verifies against hash with other parameters")
	}
}

func TestPasswordMatchesMalformed(t *testing.T) {
	t.Parallel()
	good, err := hashPassword(testPassword)
	noErr(t, err)
	parts := strings.Split(good, "$") // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct{ name, hash string }{
		{"empty", ""},
		{"plain text", testPassword},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", with(1, "argon2i")},
		{"argon2d", with(1, "argon2d")},
		{"other version", with(2, "v=16")},
		{"no version", with(2, "")},
		{"zero memory", with(3, "m=0,t=2,p=1")},
		{"zero time", with(3, "m=19456,t=0,p=1")},
		{"zero threads", with(3, "m=19456,t=2,p=0")},
		{"threads out of range", with(3, "m=19456,t=2,p=256")},
		{"params not numbers", with(3, "m=x,t=y,p=z")},
		{"bad salt", with(4, "!!!")},
		{"bad key", with(5, "!!!")},
		{"empty key", with(5, "")},
		{"wrong key", with(5, base64.RawStdEncoding.EncodeToString(make([]byte, argonKeyLen)))},
		{"missing part", strings.Join(parts[:5], "$")},
		{"extra part", good + "$x"},
		{"no leading dollar", strings.TrimPrefix(good, "$")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if passwordMatches(tt.hash, testPassword) {
				t.Errorf("passwordMatches(%q) = true", tt.hash)
			}
		})
	}
}
