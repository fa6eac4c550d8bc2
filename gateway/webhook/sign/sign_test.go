package sign

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// mustKey parses a literal secret, panicking on a bad one.
func mustKey(s string) []byte {
	k, err := ParseSecret(s)
	if err != nil {
		panic(err)
	}
	return k
}

// The test vector published with the Standard Webhooks spec, also checked
// against the npm library when it was written down here.
var (
	specKey  = mustKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	specID   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS   = time.Unix(1614265330, 0)
	specBody = []byte(`{"test": 2432232314}`)
	specSig  = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignSpecVector(t *testing.T) {
	if got := Sign([][]byte{specKey}, specID, specTS, specBody); got != specSig {
		t.Fatalf("Sign = %q, want %q", got, specSig)
	}
}

func TestSignSeveralSecrets(t *testing.T) {
	other := bytes.Repeat([]byte{0xa}, 32)
	got := strings.Split(Sign([][]byte{specKey, other}, specID, specTS, specBody), " ")
	if len(got) != 2 || got[0] != specSig || got[1] == specSig || !strings.HasPrefix(got[1], "v1,") {
		t.Fatalf("Sign with two secrets = %q, want [%q v1,<other>]", got, specSig)
	}
	if one := Sign([][]byte{other}, specID, specTS, specBody); one != got[1] {
		t.Fatalf("second signature %q differs from signing with that secret alone %q", got[1], one)
	}
}

func TestSignDependsOnEveryInput(t *testing.T) {
	base := Sign([][]byte{specKey}, specID, specTS, specBody)
	changed := map[string]string{
		"id":        Sign([][]byte{specKey}, specID+"x", specTS, specBody),
		"timestamp": Sign([][]byte{specKey}, specID, specTS.Add(time.Second), specBody),
		"body":      Sign([][]byte{specKey}, specID, specTS, append([]byte(nil), `{"test": 2432232315}`...)),
		"secret":    Sign([][]byte{bytes.Repeat([]byte{0xb}, 32)}, specID, specTS, specBody),
	}
	for what, sig := range changed {
		if sig == base {
			t.Errorf("changing the %s leaves the signature unchanged", what)
		}
	}
}

func TestSignPanicsWithoutKey(t *testing.T) {
	for name, secrets := range map[string][][]byte{"no secret": nil, "empty secret": {specKey, {}}} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Sign did not panic")
				}
			}()
			Sign(secrets, specID, specTS, specBody)
		})
	}
}

func TestHeaders(t *testing.T) {
	h := Headers([][]byte{specKey}, specID, specTS.Add(500*time.Millisecond), specBody)
	want := map[string]string{
		"webhook-id":        specID,
		"webhook-timestamp": "1614265330",
		"webhook-signature": specSig,
	}
	for k, v := range want {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("header %s = %q, want [%q]", k, got, v)
		}
	}
	if len(h) != len(want) {
		t.Errorf("Headers set %d headers, want %d: %v", len(h), len(want), h)
	}
}
