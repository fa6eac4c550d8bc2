package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/remora-sec/remora/ven/wire"
)

// pairStub is a protocol stub of the PCE's pairing endpoint (not the PCE):
// it records every request that reaches its handler and answers with a
// fixed PairResponse, or with the problem in refuse when set.
type pairStub struct {
	srv *httptest.Server

	mu     sync.Mutex
	got    []wire.PairRequest
	refuse string // a problem+json body to answer 422 with
}

func newPairStub(t *testing.T) *pairStub {
	p := &pairStub{}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pairStub) serve(w http.ResponseWriter, r *http.Request) {
	var req wire.PairRequest
	if r.Method != http.MethodPost || r.URL.Path != wire.PairPath || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.got = append(p.got, req)
	refuse := p.refuse
	p.mu.Unlock()
	if refuse != "" {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		w.Write([]byte(refuse))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(wire.PairResponse{
		VEN: "ven-7", Workload: "wl-7", TunnelAddress: "100.64.0.7/32",
		HubPublicKey: hubKey.PublicKey().String(), HubEndpoint: "192.0.2.1:51820",
		HubAddress: "100.64.0.1", APIPort: 8080, HeartbeatSeconds: 30,
	})
}

func (p *pairStub) requests() []wire.PairRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]wire.PairRequest(nil), p.got...)
}

// fingerprint of the stub's certificate, as `remora serve` prints it.
func (p *pairStub) fingerprint() Fingerprint {
	return sha256.Sum256(p.srv.Certificate().Raw)
}

var hubKey, _ = wgtypes.GeneratePrivateKey()

func pairOpts(t *testing.T, p *pairStub, fp string) PairOptions {
	return PairOptions{PCE: p.srv.URL, Token: "install-token-1", Fingerprint: fp, Dir: filepath.Join(t.TempDir(), "state"), Iface: "rmtest0", Log: quietLog()}
}

// The pin decides alone: the right fingerprint pairs (in openssl's form or
// as bare lowercase hex); a wrong one fails in the TLS handshake, so the
// token never reaches the server; without a pin the system roots decide,
// and they do not know a self-signed certificate.
func TestPairTLSPin(t *testing.T) {
	p := newPairStub(t)
	fp := p.fingerprint()

	for name, pin := range map[string]string{
		"openssl form": fp.String(),
		"bare hex":     hex.EncodeToString(fp[:]),
	} {
		t.Run("right pin, "+name, func(t *testing.T) {
			before := len(p.requests())
			o := pairOpts(t, p, pin)
			s, err := Pair(context.Background(), o)
			if err != nil {
				t.Fatalf("Pair: %v", err)
			}
			reqs := p.requests()
			if len(reqs) != before+1 {
				t.Fatalf("%d requests reached the PCE, want 1", len(reqs)-before)
			}
			req := reqs[len(reqs)-1]
			priv, err := wgtypes.ParseKey(s.PrivateKey)
			if err != nil {
				t.Fatal(err)
			}
			if req.Token != "install-token-1" || req.PublicKey != priv.PublicKey().String() || req.Hostname == "" || req.OS == "" {
				t.Errorf("request = %+v; want the token, the saved key's public half, hostname and OS", req)
			}
			if strings.Contains(req.PublicKey, s.PrivateKey) {
				t.Error("the private key was sent")
			}
			loaded, err := LoadState(o.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if loaded.VEN != "ven-7" || loaded.Workload != "wl-7" || loaded.TunnelAddress.String() != "100.64.0.7/32" ||
				loaded.HubAddress.String() != "100.64.0.1" || loaded.APIPort != 8080 || loaded.HeartbeatSeconds != 30 ||
				loaded.HubEndpointAddr.String() != "192.0.2.1:51820" || loaded.Fingerprint != fp.String() ||
				loaded.Iface != "rmtest0" || loaded.PCE != p.srv.URL || loaded.PrivateKey != s.PrivateKey {
				t.Errorf("saved state = %+v", loaded)
			}
		})
	}

	t.Run("wrong pin", func(t *testing.T) {
		before := len(p.requests())
		wrong := fp
		wrong[0] ^= 1
		o := pairOpts(t, p, wrong.String())
		_, err := Pair(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), "does not match the pinned") {
			t.Fatalf("Pair with a wrong pin: %v; want a fingerprint mismatch", err)
		}
		if n := len(p.requests()) - before; n != 0 {
			t.Errorf("%d requests reached the handler with a wrong pin, want none", n)
		}
		if _, err := os.Stat(filepath.Join(o.Dir, StateFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("state after a failed pairing: %v; want none", err)
		}
	})

	t.Run("no pin, self-signed", func(t *testing.T) {
		before := len(p.requests())
		_, err := Pair(context.Background(), pairOpts(t, p, ""))
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("Pair without a pin to a self-signed PCE: %v; want a certificate error", err)
		}
		if n := len(p.requests()) - before; n != 0 {
			t.Errorf("%d requests reached the handler, want none", n)
		}
	})

	t.Run("malformed pin", func(t *testing.T) {
		before := len(p.requests())
		_, err := Pair(context.Background(), pairOpts(t, p, "AB:CD"))
		if err == nil || !strings.Contains(err.Error(), "--pce-fingerprint") {
			t.Fatalf("Pair with a short pin: %v", err)
		}
		if n := len(p.requests()) - before; n != 0 {
			t.Errorf("%d requests reached the handler, want none", n)
		}
	})
}

// A refusal shows the PCE's title, detail and each field's message, and
// saves nothing.
func TestPairProblem(t *testing.T) {
	p := newPairStub(t)
	p.refuse = `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"invalid request",` +
		`"errors":[{"field":"token","message":"expired at 2026-01-01T00:00:00Z"}]}`
	o := pairOpts(t, p, p.fingerprint().String())
	_, err := Pair(context.Background(), o)
	var pe *PCEError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v; want a *PCEError", err)
	}
	for _, want := range []string{"422", "Unprocessable Entity", "invalid request", "token: expired at 2026-01-01T00:00:00Z"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := LoadState(o.Dir); !errors.Is(err, ErrNotPaired) {
		t.Errorf("after a refusal LoadState = %v; want ErrNotPaired", err)
	}
}

// A paired host refuses to pair again unless forced; a forced pairing
// replaces the identity and drops the policy saved under the old one.
func TestPairTwice(t *testing.T) {
	p := newPairStub(t)
	o := pairOpts(t, p, p.fingerprint().String())
	first, err := Pair(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := SavePolicy(o.Dir, raw(t, doc("wl-7", 1))); err != nil {
		t.Fatal(err)
	}
	before := len(p.requests())
	if _, err := Pair(context.Background(), o); err == nil || !strings.Contains(err.Error(), "already paired as VEN ven-7") {
		t.Fatalf("second Pair: %v; want a refusal naming the VEN", err)
	}
	if len(p.requests()) != before {
		t.Error("the refused second pairing reached the PCE")
	}
	o.Force = true
	second, err := Pair(context.Background(), o)
	if err != nil {
		t.Fatalf("forced Pair: %v", err)
	}
	if second.PrivateKey == first.PrivateKey {
		t.Error("a forced pairing kept the old key")
	}
	if _, _, err := LoadPolicy(o.Dir, "wl-7"); !errors.Is(err, ErrNoPolicy) {
		t.Errorf("policy after a forced pairing: %v; want none", err)
	}
}

func TestPairRefusesPlainHTTP(t *testing.T) {
	_, err := Pair(context.Background(), PairOptions{PCE: "http://pce.example", Token: "t", Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("Pair over http: %v; want a refusal", err)
	}
}

func TestParseFingerprint(t *testing.T) {
	want := sha256.Sum256([]byte("x"))
	up := strings.ToUpper(hex.EncodeToString(want[:]))
	for _, in := range []string{Fingerprint(want).String(), strings.ToLower(Fingerprint(want).String()), up, " " + up + "\n"} {
		got, err := ParseFingerprint(in)
		if err != nil || got != want {
			t.Errorf("ParseFingerprint(%q) = %x, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "AB:CD", up + "00", strings.Replace(up, "A", "G", 1)} {
		if _, err := ParseFingerprint(bad); err == nil {
			t.Errorf("ParseFingerprint(%q) accepted", bad)
		}
	}
}
