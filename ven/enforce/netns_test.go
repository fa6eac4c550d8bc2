package enforce

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/remora-sec/remora/infra/testreq"
)

// The namespace tests need root, ip and nft. They run in network
// namespaces they create, so they never touch the host's firewall and send
// traffic only between their own namespaces.

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		testreq.Skip(t, "needs root for network namespaces and nftables")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			testreq.Skipf(t, "needs %s: %v", tool, err)
		}
	}
}

// run runs a command and fails the test with its output if it fails.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var nsSeq atomic.Int64

// netns is a network namespace created for one test and deleted by its
// cleanup, with an open fd for Config.NetNS.
type netns struct {
	name string
	fd   int
}

func newNetNS(t testing.TB, role string) *netns {
	t.Helper()
	base := strings.Map(func(r rune) rune {
		if isNameRune(r) {
			return r
		}
		return '_'
	}, t.Name())
	if len(base) > 40 {
		base = base[len(base)-40:]
	}
	name := fmt.Sprintf("rmr-%s-%d-%d-%s", base, os.Getpid(), nsSeq.Add(1), role)
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("delete netns %s: %v\n%s", name, err, out)
		}
	})
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatalf("open netns %s: %v", name, err)
	}
	t.Cleanup(func() { f.Close() })
	ns := &netns{name: name, fd: int(f.Fd())}
	ns.ip(t, "link", "set", "lo", "up")
	return ns
}

// ip runs ip(8) in the namespace.
func (n *netns) ip(t testing.TB, args ...string) {
	t.Helper()
	run(t, "ip", append([]string{"-n", n.name}, args...)...)
}

// nft runs nft(8) in the namespace and returns its output.
func (n *netns) nft(t testing.TB, args ...string) string {
	t.Helper()
	return run(t, "ip", append([]string{"netns", "exec", n.name, "nft"}, args...)...)
}

// do runs f on an OS thread switched into the namespace: sockets created
// there belong to it and keep working from any thread afterwards. The
// thread goes back to its namespace before it is released; if that fails
// it stays locked and dies with its goroutine.
func (n *netns) do(f func() error) error {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	if err := setns(n.fd); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter netns %s: %w", n.name, err)
	}
	ferr := f()
	if err := setns(int(self.Fd())); err != nil {
		return fmt.Errorf("leave netns %s: %w", n.name, err) // thread stays locked, then exits
	}
	runtime.UnlockOSThread()
	return ferr
}

func setns(fd int) error { return unix.Setns(fd, unix.CLONE_NEWNET) }

// pair is a server and a client namespace joined by a veth pair (v0 in the
// server, v1 in the client), and a second pair rwg0 standing in for the
// WireGuard tunnel. The client has two addresses per family, one to put in
// a set and one to leave out.
type pair struct {
	server, client *netns
}

const (
	srv4, cli4, cliOther4 = "10.77.0.1", "10.77.0.2", "10.77.0.3"
	srv6, cli6, cliOther6 = "fd77::1", "fd77::2", "fd77::3"
	srvTun, cliTun        = "10.78.0.1", "10.78.0.2"
	tunIface              = "rwg0"
)

func newPair(t testing.TB) *pair {
	t.Helper()
	p := &pair{server: newNetNS(t, "s"), client: newNetNS(t, "c")}
	run(t, "ip", "link", "add", "v0", "netns", p.server.name, "type", "veth", "peer", "name", "v1", "netns", p.client.name)
	run(t, "ip", "link", "add", tunIface, "netns", p.server.name, "type", "veth", "peer", "name", tunIface, "netns", p.client.name)
	p.server.ip(t, "addr", "add", srv4+"/24", "dev", "v0")
	p.server.ip(t, "addr", "add", srv6+"/64", "dev", "v0", "nodad")
	p.server.ip(t, "addr", "add", srvTun+"/24", "dev", tunIface)
	for _, a := range []string{cli4 + "/24", cliOther4 + "/24"} {
		p.client.ip(t, "addr", "add", a, "dev", "v1")
	}
	for _, a := range []string{cli6 + "/64", cliOther6 + "/64"} {
		p.client.ip(t, "addr", "add", a, "dev", "v1", "nodad")
	}
	p.client.ip(t, "addr", "add", cliTun+"/24", "dev", tunIface)
	p.server.ip(t, "link", "set", "v0", "up")
	p.client.ip(t, "link", "set", "v1", "up")
	for _, n := range []*netns{p.server, p.client} {
		n.ip(t, "link", "set", tunIface, "up")
	}
	p.server.waitCarrier(t, "v0", tunIface)
	p.client.waitCarrier(t, "v1", tunIface)
	return p
}

// waitCarrier waits until the links have carrier. A veth gets it only
// once both ends are up, and the kernel reports that asynchronously; IPv6
// neighbor discovery on a link still without carrier loses answers.
func (n *netns) waitCarrier(t testing.TB, links ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, l := range links {
		for {
			out := run(t, "ip", "-n", n.name, "-o", "link", "show", "dev", l)
			if !strings.Contains(out, "NO-CARRIER") && strings.Contains(out, "state UP") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s in %s has no carrier: %s", l, n.name, out)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// serve starts the listeners of both namespaces.
func (p *pair) serve(t testing.TB) (srv, cli *services) {
	return serve(t, p.server, srv4, srv6, srvTun), serve(t, p.client, cli4, cliOther4, cli6, cliOther6, cliTun)
}
