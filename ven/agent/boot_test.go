package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fail static at boot: the saved document is applied to the namespace's
// nftables by the boot step alone, with no PCE anywhere (the state points
// at an address nothing answers on).
func TestBootApplySaved(t *testing.T) {
	ns := newNetNS(t)
	dir := t.TempDir()
	d := doc("wl-1", 4, "10.0.0.7", "10.0.0.8")
	if err := SavePolicy(dir, raw(t, d)); err != nil {
		t.Fatal(err)
	}
	if ns.hasTable(t) {
		t.Fatal("a fresh namespace already has the table")
	}
	got, err := BootApply(dir, "wl-1", ns.enforcer(t))
	if err != nil {
		t.Fatalf("BootApply: %v", err)
	}
	if got == nil || got.Generation != 4 || got.Hash != d.Hash {
		t.Fatalf("BootApply = %+v; want generation 4", got)
	}
	table := ns.nft(t, "list", "table", "inet", "remora")
	for _, want := range []string{"10.0.0.7", "10.0.0.8", "tcp dport 5432", "policy drop"} {
		if !strings.Contains(table, want) {
			t.Errorf("table after boot apply lacks %q:\n%s", want, table)
		}
	}
}

// With nothing saved, the boot step changes nothing and is no error.
func TestBootApplyNothingSaved(t *testing.T) {
	ns := newNetNS(t)
	before := ns.ruleset(t)
	got, err := BootApply(t.TempDir(), "wl-1", ns.enforcer(t))
	if err != nil || got != nil {
		t.Fatalf("BootApply with nothing saved = %+v, %v", got, err)
	}
	if after := ns.ruleset(t); after != before {
		t.Errorf("ruleset changed:\n%s", after)
	}
}

// A corrupt saved document is reported and the firewall is left exactly as
// it was: the rules of an earlier run stay, nothing is opened.
func TestBootApplyCorruptKeepsFirewall(t *testing.T) {
	ns := newNetNS(t)
	// What an earlier run of the agent left in force.
	if err := ns.enforcer(t).Apply(doc("wl-1", 2, "10.0.0.2")); err != nil {
		t.Fatal(err)
	}
	before := ns.ruleset(t)
	mismatch := doc("wl-1", 3, "10.0.0.3")
	mismatch.Sets[0].Prefixes = mismatch.Sets[0].Prefixes[:0] // content changed, hash kept
	for name, content := range map[string][]byte{
		"garbage":        []byte(`{"workload":"wl-1","generation":3,"enforcement_mode":"fu`),
		"hash mismatch":  raw(t, mismatch),
		"other workload": raw(t, doc("wl-9", 3)),
		"empty":          {},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, PolicyFile), content, 0o600); err != nil {
				t.Fatal(err)
			}
			// A fresh enforcer, as in a new process after a reboot.
			got, err := BootApply(dir, "wl-1", ns.enforcer(t))
			if err == nil || got != nil {
				t.Fatalf("BootApply of a corrupt policy = %+v, %v; want an error", got, err)
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, PolicyFile)) {
				t.Errorf("error %q does not name the file", err)
			}
			if after := ns.ruleset(t); after != before {
				t.Errorf("the ruleset changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}
