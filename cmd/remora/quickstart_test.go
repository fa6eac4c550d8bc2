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
// --dev` as `make run` does, then the README's quick start and walk-through
// blocks verbatim in one bash, and checks what they printed. If the README
// drifts from the server, this fails.
func TestQuickStart(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required (make test installs it): %v", tool, err)
		}
	}
	quick, walk, pair := readmeBlock(t, "quickstart"), readmeBlock(t, "walkthrough"), readmeBlock(t, "pairtoken")
	url := pgtest.UnusedDatabase(t)
	dataDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	_, prefix := redistest.New(t)
	args := []string{"--database-url", url, "--redis-url", redistest.URL(), "--redis-prefix", prefix, "--data-dir", dataDir}
	if err := run(ctx, append([]string{"migrate", "--create-database"}, args...), &out, &out); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--dev", "--http-addr", "127.0.0.1:0", "--wg-listen", "127.0.0.1:0"}, args...), &out, &logs)
	}()
	port := waitFor(t, &out, done, regexp.MustCompile(`up at https://localhost:(\d+)`))

	cmd := exec.Command("bash", "-euo", "pipefail", "-c", quick+"\necho '=== walk-through'\n"+walk+pair+`echo "install token ${INSTALL_TOKEN:0:4}"`)
	cmd.Env = append(os.Environ(), "PCE=https://localhost:"+port, "CACERT="+filepath.Join(dataDir, "tls", "cert.pem"))
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quick start failed: %v\n%s\nserver log:\n%s", err, got, logs.String())
	}
	gotQuick, gotWalk, _ := strings.Cut(string(got), "=== walk-through")
	if !strings.Contains(gotWalk, "install token rpt_") {
		t.Errorf("the README's pairing block made no install token:\n%s", gotWalk)
	}
	if !regexp.MustCompile(`curl -fsSk --pinnedpubkey 'sha256//[A-Za-z0-9+/=]{44}' https://PCE-HOST:\d+/install.sh \| sudo sh -s -- --token TOKEN --pce-fingerprint [0-9A-F:]{95}`).MatchString(out.String()) {
		t.Errorf("serve did not print the install line:\n%s", out.String())
	}
	for _, want := range []string{`"name": "Acme"`, `"email": "alice@acme.example"`, `"role": "owner"`, `"status": "ok"`, `"postgres": "ok"`, `"redis": "ok"`} {
		if !strings.Contains(gotQuick, want) {
			t.Errorf("quick start output lacks %s:\n%s", want, got)
		}
	}
	// The walk-through's answers, in the order the README announces them.
	wantWalk := regexp.MustCompile(`(?s)"name": "prod".*"warnings": \[\].*` +
		`\{"decision":"allowed","version":"draft"\}.*\{"decision":"blocked","version":"0"\}.*` +
		`"version": 1,.*"decision": "allowed",.*"reason": "allow",.*"rule": ".{36}".*` +
		`\{"decision":"blocked","reason":"default"\}`)
	if !wantWalk.MatchString(gotWalk) {
		t.Errorf("walk-through output is not what the README says:\n%s", gotWalk)
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

// readmeBlock returns the shell block after the README's marker
// `<!-- name`.
func readmeBlock(t *testing.T, name string) string {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- "+name)
	if !ok {
		t.Fatalf("README.md has no %s marker", name)
	}
	_, rest, _ = strings.Cut(rest, "```sh\n")
	block, _, ok := strings.Cut(rest, "```")
	if !ok || block == "" {
		t.Fatalf("README.md %s block not found", name)
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
