package agent

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/remora-sec/remora/infra/testreq"
	"github.com/remora-sec/remora/ven/wire"
)

// pidHelperEnv, when set to a state directory, makes the test binary an
// agent stand-in that holds the pid lock of that directory until SIGTERM;
// TestStopAgent starts it to have a real process to stop.
const pidHelperEnv = "REMORA_AGENT_PID_HELPER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(pidHelperEnv); dir != "" {
		os.Exit(pidHelper(dir))
	}
	os.Exit(m.Run())
}

func pidHelper(dir string) int {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	l, err := LockPID(dir)
	if err != nil {
		fmt.Println("fail", err)
		return 1
	}
	fmt.Println("locked")
	<-term
	if err := l.Release(); err != nil {
		return 1
	}
	return 0
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// testLog sends logs to the test's output, shown when it fails.
func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func newKey(t testing.TB) wgtypes.Key {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testState is a valid state, as pairing would save it.
func testState(t testing.TB) *State {
	return &State{
		VEN:              "ven-1",
		Workload:         "wl-1",
		PrivateKey:       newKey(t).String(),
		TunnelAddress:    netip.MustParsePrefix("100.64.0.2/32"),
		HubPublicKey:     newKey(t).PublicKey().String(),
		HubEndpoint:      "192.0.2.1:51820",
		HubEndpointAddr:  netip.MustParseAddrPort("192.0.2.1:51820"),
		HubAddress:       netip.MustParseAddr("100.64.0.1"),
		APIPort:          8080,
		HeartbeatSeconds: 30,
		PCE:              "https://pce.example:8443",
		Iface:            "remora0",
		PairedAt:         time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// doc is a normalized full-mode document for workload at gen whose one set
// "peers" holds the addresses given; its rule allows tcp/5432 from them.
func doc(workload string, gen uint64, peers ...string) *wire.Document {
	s := wire.Set{ID: "peers"}
	for _, p := range peers {
		a := netip.MustParseAddr(p)
		s.Prefixes = append(s.Prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	d := &wire.Document{Workload: workload, Generation: gen, Mode: "full", Sets: []wire.Set{s},
		Rules: []wire.Rule{{Direction: wire.Inbound, Class: wire.Allow, Set: "peers", Proto: "tcp", FromPort: 5432, ToPort: 5432, Ruleset: "rs", RuleID: "r1"}}}
	d.Normalize()
	return d
}

func raw(t testing.TB, d *wire.Document) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The namespace tests need root, ip and nft. They work in network
// namespaces they create, never on the host's own interfaces or firewall.

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

func run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var nsSeq atomic.Int64

// netns is a network namespace made for one test, with an fd to program
// its nftables through and to enter it.
type netns struct {
	name string
	fd   int
}

func newNetNS(t testing.TB) *netns {
	t.Helper()
	needRoot(t)
	name := fmt.Sprintf("rva%d-%d", os.Getpid(), nsSeq.Add(1))
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	n := &netns{name: name, fd: int(f.Fd())}
	n.ip(t, "link", "set", "lo", "up")
	return n
}

func (n *netns) ip(t testing.TB, args ...string) string {
	t.Helper()
	return run(t, append([]string{"ip", "-n", n.name}, args...)...)
}

func (n *netns) nft(t testing.TB, args ...string) string {
	t.Helper()
	return run(t, append([]string{"ip", "netns", "exec", n.name, "nft"}, args...)...)
}

// ruleset is the namespace's whole ruleset without counter values (-s),
// which move with any packet and are not what the tests compare.
func (n *netns) ruleset(t testing.TB) string {
	t.Helper()
	return n.nft(t, "-s", "list", "ruleset")
}

// hasTable reports whether the namespace has the inet table remora.
func (n *netns) hasTable(t testing.TB) bool {
	t.Helper()
	return strings.Contains(n.nft(t, "list", "tables"), "table inet remora")
}

// do runs f on an OS thread inside the namespace. The thread returns to
// its own namespace before it is released; if that fails it stays locked
// and dies with its goroutine.
func (n *netns) do(f func() error) error {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter %s: %w", n.name, err)
	}
	ferr := f()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("leave %s: %w", n.name, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// enforcer is the real enforcer on the namespace's nftables.
func (n *netns) enforcer(t testing.TB) Enforcer {
	t.Helper()
	e, err := OpenEnforcer(testState(t), netip.MustParseAddrPort("192.0.2.1:51820"), n.fd, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	return e
}
