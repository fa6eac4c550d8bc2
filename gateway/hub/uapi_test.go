package hub

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remora-sec/remora/infra/testreq"
)

// With UAPIName set, wg(8) shows the hub like any WireGuard interface, and
// Close removes the socket.
func TestUAPIShowsPeers(t *testing.T) {
	if _, err := exec.LookPath("wg"); err != nil {
		testreq.Skip(t, "wg(8) is not installed")
	}
	if os.Geteuid() != 0 {
		testreq.Skip(t, "serving /var/run/wireguard needs root")
	}
	name := fmt.Sprintf("rmrh%d", os.Getpid())
	h, ep, _ := startHub(t, Config{UAPIName: name})
	a, b := newKey(t).PublicKey(), newKey(t).PublicKey()
	if err := h.SetPeer(a, ip("100.64.0.2")); err != nil {
		t.Fatal(err)
	}
	if err := h.SetPeer(b, ip("100.64.0.3")); err != nil {
		t.Fatal(err)
	}

	out := wgShow(t, name, "peers")
	got := strings.Fields(out)
	want := []string{a.String(), b.String()}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("wg show %s peers = %q, want %q", name, got, want)
	}
	if got := strings.TrimSpace(wgShow(t, name, "listen-port")); got != fmt.Sprint(ep.Port()) {
		t.Errorf("wg show %s listen-port = %s, want %d", name, got, ep.Port())
	}
	if got := strings.TrimSpace(wgShow(t, name, "public-key")); got != h.PublicKey().String() {
		t.Errorf("wg show %s public-key = %s, want %s", name, got, h.PublicKey())
	}
	allowed := wgShow(t, name, "allowed-ips")
	if !strings.Contains(allowed, a.String()+"\t100.64.0.2/32") {
		t.Errorf("wg show %s allowed-ips = %q, want %s at 100.64.0.2/32", name, allowed, a)
	}

	sock := "/var/run/wireguard/" + name + ".sock"
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("%s after Close: %v, want it gone", sock, err)
	}
}

// A bad UAPI name is refused before anything is created.
func TestUAPINameIsValidated(t *testing.T) {
	for _, name := range []string{"../etc", "a/b", "sixteen-chars-xx", " "} {
		_, err := New(Config{PrivateKey: newKey(t), Address: hubAddr, UAPIName: name})
		if err == nil || !strings.Contains(err.Error(), "UAPIName") {
			t.Errorf("New with UAPIName %q: %v, want an error naming UAPIName", name, err)
		}
	}
}

// Without write access to /var/run/wireguard, New fails and says why,
// rather than running without the socket the operator asked for. The test
// re-runs itself as nobody to get a process without that access.
func TestUAPIDirNotWritable(t *testing.T) {
	if os.Getenv("REMORA_HUB_UAPI_PROBE") != "" {
		_, err := New(Config{PrivateKey: newKey(t), Address: hubAddr, UAPIName: "rmrprobe",
			ListenAddr: netip.MustParseAddrPort("127.0.0.1:0"), Logger: testLogger(t)})
		fmt.Printf("probe: %v\n", err)
		return
	}
	if os.Geteuid() != 0 {
		testreq.Skip(t, "needs root to run a probe as nobody")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		testreq.Skip(t, "needs setpriv(1)")
	}
	// The test binary's own directory is private to root: run a copy.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(dir, "probe")
	if err := os.WriteFile(probe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
		probe, "-test.run=^TestUAPIDirNotWritable$", "-test.v")
	cmd.Env = append(os.Environ(), "REMORA_HUB_UAPI_PROBE=1")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "probe: hub: uapi socket /var/run/wireguard/rmrprobe.sock") ||
		!strings.Contains(string(out), "not writable") {
		t.Errorf("New as nobody with UAPIName set:\n%s\nwant an error saying the directory is not writable", out)
	}
}

func wgShow(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("wg", append([]string{"show"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("wg show %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
