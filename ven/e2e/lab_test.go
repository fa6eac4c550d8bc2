package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/infra/testreq"
)

// lab is a bridge in the root namespace, where the PCE listens, and the
// hosts attached to it, each a network namespace. Names carry the pid, so
// parallel runs and leftovers of a killed run never collide.
type lab struct {
	t      testing.TB
	id     int
	bridge string
	subnet string // "10.201.N" : the PCE is .1, hosts from .10
	hosts  int
}

func newLab(t testing.TB) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		testreq.Skip(t, "the end-to-end test needs root (network namespaces, nftables)")
	}
	id := os.Getpid() % 100000
	l := &lab{t: t, id: id, bridge: fmt.Sprintf("rmb%d", id), subnet: fmt.Sprintf("10.201.%d", id%250)}
	l.ip("link", "add", l.bridge, "type", "bridge")
	t.Cleanup(func() { exec.Command("ip", "link", "del", l.bridge).Run() })
	l.ip("addr", "add", l.pce()+"/24", "dev", l.bridge)
	l.ip("link", "set", l.bridge, "up")
	return l
}

// pce is the PCE's address on the bridge.
func (l *lab) pce() string { return l.subnet + ".1" }

// host is one namespace on the bridge.
type host struct {
	l    *lab
	name string // the namespace
	addr string
}

// newHost creates namespace n of the lab with its veth on the bridge.
func (l *lab) newHost(name string) *host {
	l.t.Helper()
	i := l.hosts
	l.hosts++
	h := &host{l: l, name: fmt.Sprintf("rmh%d-%s", l.id, name), addr: fmt.Sprintf("%s.%d", l.subnet, 10+i)}
	outer, inner := fmt.Sprintf("rmo%d-%d", l.id, i), fmt.Sprintf("rmi%d-%d", l.id, i)
	l.ip("netns", "add", h.name)
	l.t.Cleanup(func() { exec.Command("ip", "netns", "del", h.name).Run() })
	l.ip("link", "add", outer, "type", "veth", "peer", "name", inner)
	l.t.Cleanup(func() { exec.Command("ip", "link", "del", outer).Run() })
	l.ip("link", "set", inner, "netns", h.name)
	l.ip("link", "set", outer, "master", l.bridge)
	l.ip("link", "set", outer, "up")
	h.run("ip", "link", "set", "lo", "up")
	h.run("ip", "addr", "add", h.addr+"/24", "dev", inner)
	h.run("ip", "link", "set", inner, "up")
	return h
}

func (l *lab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// cmd is a command inside the host's namespace.
func (h *host) cmd(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.name, name}, args...)...)
}

// run runs a command in the host and returns its output, failing the test
// if it fails.
func (h *host) run(name string, args ...string) string {
	h.l.t.Helper()
	out, err := h.cmd(context.Background(), name, args...).CombinedOutput()
	if err != nil {
		h.l.t.Fatalf("%s: %s %s: %v\n%s", h.name, name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// listen serves TCP ports in the host until the test ends: each
// connection is answered "ok" (this test binary, re-executed).
func (h *host) listen(ports ...int) {
	h.l.t.Helper()
	var ps []string
	for _, p := range ports {
		ps = append(ps, fmt.Sprint(p))
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := h.cmd(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	c.Env = append(os.Environ(), "E2E_HELPER=listen", "E2E_PORTS="+strings.Join(ps, ","))
	out, _ := c.StdoutPipe()
	if err := c.Start(); err != nil {
		h.l.t.Fatal(err)
	}
	h.l.t.Cleanup(func() { cancel(); c.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "listening") {
		h.l.t.Fatalf("%s: listener did not start: %q", h.name, line)
	}
}

// reach reports whether a TCP connection from h to addr:port is answered
// within a short timeout (a drop shows as a timeout).
func (h *host) reach(addr string, port int) bool {
	c := h.cmd(context.Background(), os.Args[0], "-test.run=^TestHelperProcess$")
	c.Env = append(os.Environ(), "E2E_HELPER=dial", "E2E_ADDR="+net.JoinHostPort(addr, fmt.Sprint(port)))
	out, _ := c.CombinedOutput()
	return bytes.HasPrefix(out, []byte("ok"))
}

// eventually waits, up to d, for cond; it returns how long that took.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// TestHelperProcess is not a test: re-executed inside a namespace, it
// listens or dials for the tests above.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv("E2E_HELPER") {
	case "listen":
		for _, p := range strings.Split(os.Getenv("E2E_PORTS"), ",") {
			ln, err := net.Listen("tcp", ":"+p)
			if err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.Write([]byte("ok\n"))
					c.Close()
				}
			}()
		}
		fmt.Println("listening")
		select {}
	case "dial":
		c, err := net.DialTimeout("tcp", os.Getenv("E2E_ADDR"), 700*time.Millisecond)
		if err != nil {
			fmt.Println("fail", err)
			os.Exit(3)
		}
		c.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
		b := make([]byte, 3)
		if n, _ := c.Read(b); string(b[:n]) != "ok\n" {
			fmt.Println("fail: no answer")
			os.Exit(3)
		}
		fmt.Println("ok")
		os.Exit(0)
	}
}
