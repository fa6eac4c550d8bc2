package agent

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// The state directory is 0700 and its files 0600, whatever the umask and
// whatever mode the directory had.
func TestStateModes(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0)) // a permissive umask must not matter
	dir := filepath.Join(t.TempDir(), "a", "state")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := SaveState(dir, testState(t)); err != nil {
		t.Fatal(err)
	}
	if err := SavePolicy(dir, raw(t, doc("wl-1", 1))); err != nil {
		t.Fatal(err)
	}
	l, err := LockPID(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("state directory mode %v, want 0700", m)
	}
	for _, f := range []string{StateFile, PolicyFile, PIDFile} {
		if m := mode(t, filepath.Join(dir, f)); m != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, m)
		}
	}
}

func TestStateDirWorldWritableRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	err := SaveState(dir, testState(t))
	if err == nil || !strings.Contains(err.Error(), "writable by everyone") {
		t.Fatalf("SaveState into a world-writable directory: %v", err)
	}
	if m := mode(t, dir); m != 0o777 {
		t.Errorf("the shared directory's mode changed to %v", m)
	}
}

// A write replaces the file with a new one (a reader holding the old file
// still reads the old content in full: nothing was truncated or written in
// place) and leaves no temporary file behind.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	s := testState(t)
	if err := SaveState(dir, s); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldContent, _ := os.ReadFile(filepath.Join(dir, StateFile))

	s.VEN = "ven-2"
	if err := SaveState(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(old)
	if err != nil || string(got) != string(oldContent) {
		t.Errorf("the old file changed under its reader: %q, %v", got, err)
	}
	loaded, err := LoadState(dir)
	if err != nil || loaded.VEN != "ven-2" {
		t.Fatalf("LoadState = %+v, %v", loaded, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q; want only %s", names, StateFile)
	}
}

// A state that does not parse or lacks what the agent needs is an error
// naming the file and the field, not a half-filled State.
func TestStateCorrupt(t *testing.T) {
	good := testState(t)
	for _, tt := range []struct {
		name, content, want string
	}{
		{"garbage", "{not json", "is corrupt"},
		{"truncated", `{"ven_id":"v"`, "is corrupt"},
		{"no key", `{"ven_id":"v","workload_id":"w"}`, "private_key"},
		{"bad address", strings.Replace(mustJSON(t, good), "100.64.0.2/32", "100.64.0.999/32", 1), "is corrupt"},
		{"no workload", strings.Replace(mustJSON(t, good), `"workload_id":"wl-1"`, `"workload_id":""`, 1), "workload_id"},
		{"plain http", strings.Replace(mustJSON(t, good), "https://", "http://", 1), "pce_url"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, StateFile), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := LoadState(dir)
			if err == nil || s != nil {
				t.Fatalf("LoadState = %+v, %v; want an error", s, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), filepath.Join(dir, StateFile)) {
				t.Errorf("error %q should name the file and say %q", err, tt.want)
			}
			if errors.Is(err, ErrNotPaired) {
				t.Error("a corrupt state reads as not paired")
			}
		})
	}
	if _, err := LoadState(t.TempDir()); !errors.Is(err, ErrNotPaired) {
		t.Errorf("empty directory: %v; want ErrNotPaired", err)
	}
}

func mustJSON(t *testing.T, s *State) string {
	t.Helper()
	dir := t.TempDir()
	if err := SaveState(dir, s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	// Compact, so the replacements above match "key":"value".
	return strings.NewReplacer("\n", "", "  ", "", `": `, `":`).Replace(string(b))
}

// A saved policy is verified like one from the PCE: another workload's,
// one whose hash does not match, or garbage is an error naming the file.
func TestLoadPolicyVerifies(t *testing.T) {
	d := doc("wl-1", 3, "10.0.0.1")
	tampered := *d
	tampered.Sets = nil
	for _, tt := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"garbage", []byte("{"), "decode"},
		{"other workload", raw(t, doc("wl-2", 3)), `for workload "wl-2"`},
		{"hash mismatch", raw(t, &tampered), "does not match its content"},
		{"no hash", []byte(`{"workload":"wl-1","generation":3,"enforcement_mode":"full"}`), "no hash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := SavePolicy(dir, tt.content); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadPolicy(dir, "wl-1")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "is corrupt") {
				t.Errorf("LoadPolicy: %v; want %q", err, tt.want)
			}
		})
	}
	dir := t.TempDir()
	if err := SavePolicy(dir, raw(t, d)); err != nil {
		t.Fatal(err)
	}
	got, _, err := LoadPolicy(dir, "wl-1")
	if err != nil || got.Hash != d.Hash || got.Generation != 3 {
		t.Errorf("LoadPolicy = %+v, %v", got, err)
	}
}
