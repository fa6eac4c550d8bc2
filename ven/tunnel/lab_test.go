package tunnel

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/infra/syncbuf"
	"github.com/remora-sec/remora/infra/testreq"
)

// requireRoot skips tests that need namespaces, veths and TUN devices.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testreq.Skip(t, "needs root: network namespaces and TUN devices")
	}
	for _, tool := range []string{"ip", "wg"} {
		if _, err := exec.LookPath(tool); err != nil {
			testreq.Skipf(t, "needs %s(8)", tool)
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		testreq.Skip(t, "needs /dev/net/tun")
	}
}

// lab is a test's network: namespaces joined to the root namespace by veth
// pairs, the i-th on 10.78.<n>.<4i>/30 with the root side at .4i+1 and the
// namespace side at .4i+2. Names and n come from the pid, so concurrent test
// binaries do not collide. Everything is removed in t.Cleanup.
type lab struct {
	t   *testing.T
	pid int
	n   byte
}

func newLab(t *testing.T) *lab {
	requireRoot(t)
	return &lab{t: t, pid: os.Getpid(), n: byte(os.Getpid()%250 + 1)}
}

func (l *lab) hostAddr(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 78, l.n, byte(4*i + 1)}) }
func (l *lab) nsAddr(i int) netip.Addr   { return netip.AddrFrom4([4]byte{10, 78, l.n, byte(4*i + 2)}) }

// iface names the VEN interface for test-local name s; interface names are
// global to the machine through /var/run/wireguard.
func (l *lab) iface(s string) string { return fmt.Sprintf("rw%d%s", l.pid, s) }

// bareNetns creates an empty namespace (loopback only).
func (l *lab) bareNetns(s string) string {
	ns := fmt.Sprintf("rmr%d%s", l.pid, s)
	run(l.t, "ip", "netns", "add", ns)
	l.t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run(l.t, "ip", "-n", ns, "link", "set", "lo", "up")
	return ns
}

// netns creates namespace i with its veth pair, and routes to hub (an
// address on the root side of some pair) through it.
func (l *lab) netns(i int, hub netip.Addr) string {
	ns := l.bareNetns(fmt.Sprintf("n%d", i))
	host, peer := fmt.Sprintf("rh%d_%d", l.pid, i), fmt.Sprintf("rn%d_%d", l.pid, i)
	run(l.t, "ip", "link", "add", host, "type", "veth", "peer", "name", peer, "netns", ns)
	l.t.Cleanup(func() { exec.Command("ip", "link", "del", host).Run() })
	run(l.t, "ip", "addr", "add", l.hostAddr(i).String()+"/30", "dev", host)
	run(l.t, "ip", "link", "set", host, "up")
	run(l.t, "ip", "-n", ns, "addr", "add", l.nsAddr(i).String()+"/30", "dev", peer)
	run(l.t, "ip", "-n", ns, "link", "set", peer, "up")
	run(l.t, "ip", "-n", ns, "route", "replace", hub.String()+"/32", "via", l.hostAddr(i).String())
	return ns
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ven is a VEN helper process (see runHelper) in a namespace.
type ven struct {
	t      *testing.T
	ns     string
	cfg    Config
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
}

// startVEN starts a helper with cfg in ns and waits until its tunnel is up.
func startVEN(t *testing.T, ns string, cfg Config) *ven {
	t.Helper()
	v, first := launchVEN(t, ns, cfg)
	if first != "ready" {
		t.Fatalf("VEN %s in %s: %s\nstderr:\n%s", cfg.Iface, ns, first, v.stderr)
	}
	return v
}

// launchVEN starts a helper and returns its first line: "ready" or
// "fail <error>". The process is stopped in t.Cleanup, and its socket
// removed if a kill left it behind.
func launchVEN(t *testing.T, ns string, cfg Config) (*ven, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v := &ven{t: t, ns: ns, cfg: cfg, lines: make(chan string, 16), stderr: new(syncBuffer), done: make(chan struct{})}
	v.cmd = exec.Command("ip", "netns", "exec", ns, exe, "-test.run=^TestHelperProcess$")
	v.cmd.Env = append(os.Environ(), helperEnv+"="+string(js))
	v.cmd.Stderr = v.stderr
	v.stdin, err = v.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := v.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			v.lines <- sc.Text()
		}
		close(v.lines)
		v.cmd.Wait() // only once its output is read, as os/exec requires
		close(v.done)
	}()
	t.Cleanup(func() {
		v.stop()
		os.Remove("/var/run/wireguard/" + cfg.Iface + ".sock")
	})
	return v, v.line(30 * time.Second)
}

// line waits for the helper's next line.
func (v *ven) line(timeout time.Duration) string {
	v.t.Helper()
	select {
	case l, ok := <-v.lines:
		if !ok {
			return "fail exited"
		}
		return l
	case <-time.After(timeout):
		v.t.Fatalf("VEN %s: no answer in %s\nstderr:\n%s", v.cfg.Iface, timeout, v.stderr)
		return ""
	}
}

// do runs one helper command and returns its answer.
func (v *ven) do(cmd string, timeout time.Duration) string {
	v.t.Helper()
	if _, err := fmt.Fprintln(v.stdin, cmd); err != nil {
		v.t.Fatalf("VEN %s: %s: %v\nstderr:\n%s", v.cfg.Iface, cmd, err, v.stderr)
	}
	return v.line(timeout + 10*time.Second)
}

// mustDo runs a command that must answer "ok ..." and returns the rest.
func (v *ven) mustDo(cmd string) string {
	v.t.Helper()
	ans := v.do(cmd, 10*time.Second)
	rest, ok := strings.CutPrefix(ans, "ok")
	if !ok {
		v.t.Fatalf("VEN %s: %s: %s", v.cfg.Iface, cmd, ans)
	}
	return strings.TrimSpace(rest)
}

// get fetches url from the VEN within timeout.
func (v *ven) get(url string, timeout time.Duration) (string, error) {
	v.t.Helper()
	ans := v.do(fmt.Sprintf("get %s %s", timeout, url), timeout)
	if body, ok := strings.CutPrefix(ans, "ok "); ok {
		return body, nil
	}
	return "", fmt.Errorf("%s", ans)
}

// mustGet fails the test unless GET url answers want.
func (v *ven) mustGet(url, want string) {
	v.t.Helper()
	got, err := v.get(url, 10*time.Second)
	if err != nil || got != want {
		v.t.Fatalf("VEN %s: GET %s = %q, %v; want %q", v.cfg.Iface, url, got, err, want)
	}
}

// mustTimeOut fails the test unless GET url times out within a second: its
// packets are dropped, not refused (a refusal would mean they got through
// to the hub's stack).
func (v *ven) mustTimeOut(url string) {
	v.t.Helper()
	ans := v.do(fmt.Sprintf("get %s %s", time.Second, url), time.Second)
	if !strings.HasPrefix(ans, "timeout ") {
		v.t.Fatalf("VEN %s: GET %s: %s; want a time-out", v.cfg.Iface, url, ans)
	}
}

// stop ends the helper: end of input makes it take its tunnel down and
// exit; one that does not within the deadline is killed.
func (v *ven) stop() {
	v.stdin.Close()
	select {
	case <-v.done:
	case <-time.After(10 * time.Second):
		v.kill()
	}
}

// kill ends the helper at once, as a crash would.
func (v *ven) kill() {
	v.cmd.Process.Kill()
	<-v.done
}

// exitCode is the helper's exit status once it has exited.
func (v *ven) exitCode() int {
	<-v.done
	return v.cmd.ProcessState.ExitCode()
}

type syncBuffer = syncbuf.Buffer

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
