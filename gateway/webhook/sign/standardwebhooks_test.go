package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/gateway/webhook/sign/signtest"
)

// The receiver in these tests is testdata/verify/verify.js, which verifies
// with the npm standardwebhooks package: an implementation we did not write,
// so a shared misreading of the spec cannot pass both sides.

var verifyDir = signtest.Dir()

// nodeDelivery is one delivery as verify.js reads it.
type nodeDelivery struct {
	Name    string            `json:"name"`
	Secrets []string          `json:"secrets"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"` // base64, so the bytes arrive exact
}

// deliver signs body with secrets as the dispatcher will, now, because the
// library refuses timestamps more than five minutes off.
func deliver(t *testing.T, name string, secrets []string, body []byte) nodeDelivery {
	t.Helper()
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		k, err := ParseSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	h := Headers(keys, "msg_"+strings.ReplaceAll(name, " ", "_"), time.Now(), body)
	d := nodeDelivery{Name: name, Secrets: secrets, Headers: map[string]string{}, Body: base64.StdEncoding.EncodeToString(body)}
	for k := range h {
		d.Headers[k] = h.Get(k) // canonical case, as Go sends them: the library must match it
	}
	return d
}

func TestStandardWebhooksVerifies(t *testing.T) {
	oldSecret, newSecret := newSecret(t), newSecret(t)
	large := make([]string, 5000)
	for i := range large {
		large[i] = fmt.Sprintf("workload-%04d · ünïcødé ✓ 🚀 \"quoted\" \\ back/slash", i)
	}
	largeBody, err := json.Marshal(map[string]any{"type": "workload.updated", "data": large})
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{
		"event":        []byte(`{"type":"workload.created","data":{"id":"wl_1","labels":{"env":"prod"}}}`),
		"unicode":      []byte(`{"name":"Zürich — 東京 — مرحبا — 🔥","note":"line\nbreak\ttab"}`),
		"empty object": []byte(`{}`),
		"large":        largeBody,
	}
	var ds []nodeDelivery
	for name, body := range bodies {
		ds = append(ds,
			deliver(t, name+" one secret", []string{newSecret}, body),
			deliver(t, name+" during rotation", []string{oldSecret, newSecret}, body))
	}
	out, err := runVerifier(t, ds)
	if err != nil {
		t.Fatalf("verify.js rejected our deliveries: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("verified %d signatures, 0 failures", 3*len(bodies)); !strings.Contains(out, want) {
		t.Fatalf("verify.js said %q, want %q", out, want)
	}
}

// TestStandardWebhooksRejects proves the receiver can fail: were verify.js
// to accept anything, the test above would prove nothing.
func TestStandardWebhooksRejects(t *testing.T) {
	secret, stranger := newSecret(t), newSecret(t)
	body := []byte(`{"type":"workload.created"}`)

	tampered := deliver(t, "tampered", []string{secret}, body)
	tampered.Body = base64.StdEncoding.EncodeToString([]byte(`{"type":"workload.deleted"}`))

	wrongSecret := deliver(t, "wrong secret", []string{secret}, body)
	wrongSecret.Secrets = []string{stranger}

	rotationHalf := deliver(t, "only one of two secrets signed", []string{secret}, body)
	rotationHalf.Secrets = []string{secret, stranger}

	for _, d := range []nodeDelivery{tampered, wrongSecret, rotationHalf} {
		t.Run(d.Name, func(t *testing.T) {
			out, err := runVerifier(t, []nodeDelivery{d})
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("verify.js accepted a bad delivery (err %v):\n%s", err, out)
			}
			if !strings.Contains(out, "No matching signature found") {
				t.Fatalf("verify.js failed for another reason than the signature:\n%s", out)
			}
		})
	}
}

func newSecret(t *testing.T) string {
	t.Helper()
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runVerifier feeds ds to verify.js and returns its combined output and exit
// error.
func runVerifier(t *testing.T, ds []nodeDelivery) (string, error) {
	t.Helper()
	signtest.Install(t)
	in, err := json.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "verify.js")
	cmd.Dir = verifyDir
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
