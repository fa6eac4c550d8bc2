package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/infra/pg/pgtest"
	"github.com/remora-sec/remora/infra/redisx/redistest"
	"github.com/remora-sec/remora/infra/syncbuf"
)

// build compiles the two binaries once per test run.
func build(t testing.TB) (pce, ven string) {
	t.Helper()
	dir := t.TempDir()
	pce, ven = filepath.Join(dir, "remora"), filepath.Join(dir, "remora-ven")
	for bin, pkg := range map[string]string{pce: "../../cmd/remora", ven: "../../cmd/remora-ven"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return pce, ven
}

// pce is a running `remora serve` on the lab's bridge.
type pce struct {
	t           testing.TB
	bin         string
	args        []string
	cmd         *exec.Cmd
	logs        *syncBuffer
	url         string // https://addr:port
	fingerprint string
	pin         string // the certificate's public key, for curl --pinnedpubkey
	port        string
}

// startPCE migrates a fresh database and runs `remora serve` on the
// bridge address: the API on a free port, the hub on another.
func startPCE(t testing.TB, l *lab, bin string) *pce {
	t.Helper()
	db := pgtest.UnusedDatabase(t)
	_, prefix := redistest.New(t)
	// The hub must come back on the same port after a restart: VENs keep
	// the endpoint they were given.
	udp, err := net.ListenPacket("udp4", l.pce()+":0")
	if err != nil {
		t.Fatal(err)
	}
	wg := udp.LocalAddr().String()
	udp.Close()
	p := &pce{t: t, bin: bin, args: []string{"--database-url", db, "--redis-url", redistest.URL(), "--redis-prefix", prefix,
		"--data-dir", t.TempDir(), "--dev", "--log-level", "debug", "--wg-listen", wg,
		"--ven-heartbeat", "1s", "--ven-poll-timeout", "5s", "--rate-per-address", "1000"}}
	if out, err := exec.Command(bin, append([]string{"migrate", "--create-database"}, p.args[:2]...)...).CombinedOutput(); err != nil {
		t.Fatalf("remora migrate: %v\n%s", err, out)
	}
	p.start(l.pce() + ":0")
	return p
}

var servingRE = regexp.MustCompile(`"msg":"serving","addr":"([^"]+)".*"tls_fingerprint_sha256":"([0-9A-F:]+)","tls_pubkey_pin":"([^"]+)"`)

// start runs serve on addr and waits for it to listen.
func (p *pce) start(addr string) {
	p.t.Helper()
	p.logs = &syncBuffer{}
	p.cmd = exec.Command(p.bin, append([]string{"serve", "--http-addr", addr}, p.args...)...)
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.logs
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(p.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := servingRE.FindStringSubmatch(p.logs.String()); m != nil {
			p.url, p.fingerprint, p.pin = "https://"+m[1], m[2], m[3]
			p.port = m[1][strings.LastIndex(m[1], ":")+1:]
			return
		}
		if time.Now().After(deadline) || p.cmd.ProcessState != nil {
			p.t.Fatalf("remora serve did not come up:\n%s", p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends serve (SIGTERM) and waits for it.
func (p *pce) stop() {
	if p.cmd == nil || p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// restart starts serve again on the same API and hub addresses.
func (p *pce) restart() {
	p.t.Helper()
	p.start(strings.TrimPrefix(p.url, "https://"))
}

// api is a REST client of the PCE, pinned to its certificate.
type api struct {
	t     testing.TB
	p     *pce
	token string
	http  *http.Client
}

func (p *pce) client() *api {
	pin := strings.ToLower(strings.ReplaceAll(p.fingerprint, ":", ""))
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if hex.EncodeToString(sum[:]) != pin {
				return fmt.Errorf("certificate does not match the pinned fingerprint")
			}
			return nil
		}}}
	return &api{t: p.t, p: p, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// call sends one request and decodes the answer into out (if not nil),
// failing the test unless the status is want.
func (a *api) call(method, path string, body any, want int, out any) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.p.url+"/api/v1"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// id posts body and returns the created object's id.
func (a *api) id(path string, body any) string {
	a.t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	a.call("POST", path, body, http.StatusCreated, &out)
	return out.ID
}

// signup creates a tenant and logs its owner in.
func (p *pce) signup(org string) *api {
	p.t.Helper()
	a := p.client()
	email := strings.ToLower(org) + "@e2e.example"
	a.call("POST", "/signup", map[string]any{"organization": org, "email": email, "password": "correct horse battery"}, http.StatusCreated, nil)
	var tok struct {
		Access string `json:"access_token"`
	}
	a.call("POST", "/auth/login", map[string]any{"email": email, "password": "correct horse battery"}, http.StatusOK, &tok)
	a.token = tok.Access
	return a
}

type syncBuffer = syncbuf.Buffer
