package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/infra/pg/pgtest"
	"github.com/remora-sec/remora/infra/redisx/redistest"
)

// TestQuickStart runs `remora migrate --create-database` and `remora serve
// --dev` as `make run` does, then the README's quick start block verbatim in
// bash, and checks what it printed. If the README drifts from the server,
// this fails.
func TestQuickStart(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required (make test installs it): %v", tool, err)
		}
	}
	block := readmeQuickStart(t)
	url := pgtest.UnusedDatabase(t)
	dataDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	args := []string{"--database-url", url, "--redis-url", redistest.URL(), "--data-dir", dataDir}
	if err := run(ctx, append([]string{"migrate", "--create-database"}, args...), &out, &out); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--dev", "--http-addr", "127.0.0.1:0"}, args...), &out, &logs)
	}()
	port := waitFor(t, &out, done, regexp.MustCompile(`up at https://localhost:(\d+)`))

	cmd := exec.Command("bash", "-euo", "pipefail", "-c", block)
	cmd.Env = append(os.Environ(), "PCE=https://localhost:"+port, "CACERT="+filepath.Join(dataDir, "tls", "cert.pem"))
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quick start failed: %v\n%s\nserver log:\n%s", err, got, logs.String())
	}
	for _, want := range []string{`"name": "Acme"`, `"email": "alice@acme.example"`, `"role": "owner"`, `"status": "ok"`, `"postgres": "ok"`, `"redis": "ok"`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("quick start output lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(string(got), `"status": 4`) || strings.Contains(string(got), `"status": 5`) {
		t.Errorf("quick start hit an error:\n%s", got)
	}
	if !regexp.MustCompile(`fingerprint.*: ([0-9A-F]{2}:){31}[0-9A-F]{2}`).MatchString(out.String()) {
		t.Errorf("serve did not print the certificate fingerprint:\n%s", out.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve did not shut down cleanly: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// readmeQuickStart returns the shell block after the quickstart marker.
func readmeQuickStart(t *testing.T) string {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- quickstart")
	if !ok {
		t.Fatal("README.md has no quickstart marker")
	}
	_, rest, _ = strings.Cut(rest, "```sh\n")
	block, _, ok := strings.Cut(rest, "```")
	if !ok || block == "" {
		t.Fatal("README.md quickstart block not found")
	}
	return block
}

// waitFor polls buf until re matches, failing if serve exits first.
func waitFor(t *testing.T, buf *syncBuffer, done <-chan error, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, buf.String())
		case <-deadline:
			t.Fatalf("serve did not come up:\n%s", buf.String())
		case <-tick.C:
		}
	}
}
