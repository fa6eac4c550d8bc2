package policystore

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/remora-sec/remora/infra/ids"
)

// TestPairingTokenFormat: a minted token has the fixed form other code
// relies on ("rpt_" and 64 bytes: tenant id, token id, 32 random bytes),
// parses back to its ids, and anything off that form does not parse.
func TestPairingTokenFormat(t *testing.T) {
	tenant, id := ids.TenantID("0b0e5f6a-1c2d-4e3f-8a9b-0c1d2e3f4a5b"), PairingTokenID("7b0f4b7e-2f5e-4a8c-9a55-5b9f1c3d2e10")
	tok, err := newPairingToken(tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 90 || !strings.HasPrefix(tok, "rpt_") {
		t.Fatalf("token %q: want rpt_ and 86 base64url characters", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok[4:])
	if err != nil || len(raw) != 64 || uuidString(raw[:16]) != string(tenant) || uuidString(raw[16:32]) != string(id) {
		t.Fatalf("token %q decodes to %x, %v", tok, raw, err)
	}
	gotTenant, gotID, ok := ParsePairingToken(tok)
	if !ok || gotTenant != tenant || gotID != string(id) {
		t.Fatalf("ParsePairingToken = %q, %q, %v; want %q, %q, true", gotTenant, gotID, ok, tenant, id)
	}
	again, _ := newPairingToken(tenant, id)
	if again == tok {
		t.Fatal("two tokens for the same ids are equal: the secret part is not random")
	}

	body := tok[4:]
	bad := map[string]string{
		"empty":               "",
		"prefix only":         "rpt_",
		"other prefix":        "rmr_" + body,
		"upper-case prefix":   "RPT_" + body,
		"no prefix":           body,
		"one short":           tok[:89],
		"one long":            tok + "A",
		"padded":              tok[:88] + "==",
		"std alphabet":        "rpt_" + strings.Repeat("+", 86),
		"space":               "rpt_" + body[:85] + " ",
		"trailing newline":    tok[:89] + "\n",
		"non-canonical final": "rpt_" + body[:85] + nonCanonical(body[85]),
	}
	for name, s := range bad {
		if tn, tid, ok := ParsePairingToken(s); ok || tn != "" || tid != "" {
			t.Errorf("%s: ParsePairingToken(%q) = %q, %q, %v; want !ok", name, s, tn, tid, ok)
		}
	}
}

// nonCanonical returns a character that decodes to the same bytes as c
// when last in an unpadded 64-byte encoding but sets bits that must be 0.
func nonCanonical(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[i|1]) // 64 bytes leave 4 unused low bits in the last character
}

func FuzzParsePairingToken(f *testing.F) {
	tok, _ := newPairingToken("0b0e5f6a-1c2d-4e3f-8a9b-0c1d2e3f4a5b", "7b0f4b7e-2f5e-4a8c-9a55-5b9f1c3d2e10")
	f.Add(tok)
	f.Add("rpt_")
	f.Fuzz(func(t *testing.T, s string) {
		tenant, id, ok := ParsePairingToken(s)
		if !ok {
			return
		}
		if !ids.Valid(string(tenant)) || !ids.Valid(id) {
			t.Fatalf("ParsePairingToken(%q) = %q, %q: not canonical uuids", s, tenant, id)
		}
		// Exactly one spelling parses to these bytes.
		raw, _ := tokenEncoding.DecodeString(s[4:])
		if "rpt_"+tokenEncoding.EncodeToString(raw) != s {
			t.Fatalf("ParsePairingToken accepted a non-canonical %q", s)
		}
	})
}
