package packaging

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInstallScript: the script names the PCE it was rendered for and is
// valid shell; an address that could break out of its shell string is
// refused.
func TestInstallScript(t *testing.T) {
	for _, pce := range []string{"https://pce.example", "https://10.0.0.1:8443", "https://[fd00::1]:8443"} {
		b, err := InstallScript(pce)
		if err != nil {
			t.Fatalf("%s: %v", pce, err)
		}
		if !strings.Contains(string(b), "PCE='"+pce+"'") {
			t.Errorf("%s: script does not name it", pce)
		}
		c := exec.Command("sh", "-n")
		c.Stdin = strings.NewReader(string(b))
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("%s: sh -n: %v\n%s", pce, err, out)
		}
	}
	for _, bad := range []string{"https://x'; rm -rf / #", "https://x$(id)", "https://x`id`", "https://x\nid", `https://x"`, `https://x\`} {
		if _, err := InstallScript(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}
