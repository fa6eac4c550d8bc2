package sign

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two secrets are equal: %q", a)
	}
	if !strings.HasPrefix(a, "whsec_") || len(a) != len("whsec_")+44 {
		t.Fatalf("secret %q: want whsec_ + 44 base64 characters", a)
	}
	key, err := ParseSecret(a)
	if err != nil {
		t.Fatalf("ParseSecret(NewSecret()): %v", err)
	}
	if len(key) != 32 {
		t.Fatalf("key is %d bytes, want 32", len(key))
	}
}

func TestParseSecret(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	tests := []struct {
		name    string
		in      string
		wantLen int    // when ok
		wantErr string // substring, when not
	}{
		{"32 bytes", "whsec_" + b64(32), 32, ""},
		{"spec vector, 24 bytes", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 24, ""},
		{"64 bytes", "whsec_" + b64(64), 64, ""},
		{"no prefix", b64(32), 0, `does not start with "whsec_"`},
		{"empty", "", 0, `does not start with "whsec_"`},
		{"prefix only", "whsec_", 0, "key is 0 bytes, want 24 to 64"},
		{"url-safe base64", "whsec_" + strings.Repeat("_-", 22), 0, "not standard base64"},
		{"missing padding", "whsec_" + strings.TrimRight(b64(32), "="), 0, "not standard base64"},
		{"too short", "whsec_" + b64(16), 0, "key is 16 bytes, want 24 to 64"},
		{"too long", "whsec_" + b64(65), 0, "key is 65 bytes, want 24 to 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseSecret(tt.in)
			if tt.wantErr == "" {
				if err != nil || len(key) != tt.wantLen {
					t.Fatalf("ParseSecret = %d bytes, %v; want %d bytes", len(key), err, tt.wantLen)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseSecret error = %v, want it to contain %q", err, tt.wantErr)
			}
			if len(tt.in) > len("whsec_")+4 && strings.Contains(err.Error(), tt.in[len("whsec_"):]) {
				t.Fatalf("error %q quotes the secret", err)
			}
		})
	}
}
