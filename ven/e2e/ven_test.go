package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// agent is one host's remora-ven: its state directory and, while it runs,
// its `run` process.
type agent struct {
	t     testing.TB
	h     *host
	bin   string
	state string
	iface string
	run   *runningAgent
}

type runningAgent struct {
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

func (h *host) agent(bin string) *agent {
	return &agent{t: h.l.t, h: h, bin: bin, state: filepath.Join(h.l.t.TempDir(), "state"),
		iface: "rmw" + strings.TrimPrefix(h.name, "rmh")}
}

// pair runs `remora-ven pair` in the host and returns its combined output
// and whether it succeeded.
func (a *agent) pair(p *pce, token string) (string, bool) {
	a.t.Helper()
	out, err := a.h.cmd(context.Background(), a.bin, "pair", "--pce", p.url, "--token", token,
		"--pce-fingerprint", p.fingerprint, "--state-dir", a.state, "--iface", a.iface).CombinedOutput()
	return string(out), err == nil
}

// mustPair pairs or fails the test.
func (a *agent) mustPair(p *pce, token string) {
	a.t.Helper()
	if out, ok := a.pair(p, token); !ok {
		a.t.Fatalf("%s: pair: %s", a.h.name, out)
	}
}

// start runs `remora-ven run` in the host until stop or the test's end.
func (a *agent) start() {
	a.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := a.h.cmd(ctx, a.bin, "run", "--state-dir", a.state, "--check-interval", "1s")
	c.Cancel = func() error { return c.Process.Signal(os.Interrupt) }
	c.WaitDelay = 10 * time.Second
	r := &runningAgent{cancel: cancel, done: make(chan error, 1), logs: &syncBuffer{}}
	c.Stdout, c.Stderr = io.Discard, r.logs
	if err := c.Start(); err != nil {
		a.t.Fatal(err)
	}
	go func() { r.done <- c.Wait() }()
	a.run = r
	a.t.Cleanup(a.stop)
}

// stop ends the agent (SIGINT) and waits for it.
func (a *agent) stop() {
	if a.run == nil {
		return
	}
	a.run.cancel()
	<-a.run.done
	a.run = nil
}

// status is `remora-ven status --json`, decoded.
func (a *agent) status() map[string]any {
	a.t.Helper()
	out := a.h.run(a.bin, "status", "--json", "--state-dir", a.state)
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		a.t.Fatalf("status: %v: %s", err, out)
	}
	return st
}

// unpair runs `remora-ven unpair` with args.
func (a *agent) unpair(args ...string) {
	a.t.Helper()
	a.h.run(a.bin, append([]string{"unpair", "--state-dir", a.state}, args...)...)
	if a.run != nil { // unpair stops a running agent itself
		select {
		case <-a.run.done:
		case <-time.After(15 * time.Second):
			a.t.Errorf("%s: unpair did not stop the running agent", a.h.name)
			a.run.cancel()
			<-a.run.done
		}
		a.run = nil
	}
}

// nft is the host's ruleset as `nft list ruleset` prints it.
func (h *host) nft() string { return h.run("nft", "list", "ruleset") }
