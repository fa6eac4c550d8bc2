// Package signtest gives tests the independent verifier of our webhook
// signatures: the npm standardwebhooks package, pinned by the lock file in
// ../testdata/verify, with a one-shot script (verify.js, for package sign)
// and an HTTP receiver (receiver.js, for the dispatcher's end-to-end
// tests). It installs the packages when they are missing, once per
// machine at a time: several test binaries may ask at once.
package signtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Dir is the absolute path of the Node project (testdata/verify).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "verify")
}

var (
	installOnce sync.Once
	installErr  error
)

// Install runs npm ci in Dir when its packages are missing (a fresh clone,
// as in CI), or fails t when node or npm is not installed. The lock file
// pins the packages, so every run verifies with the same code.
func Install(t testing.TB) {
	t.Helper()
	installOnce.Do(func() { installErr = install() })
	if installErr != nil {
		t.Fatal(installErr)
	}
}

func install() error {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not on PATH (make tools installs it): %w", tool, err)
		}
	}
	// Test binaries of several packages run at once: one installs while
	// the others wait on the lock, then find the packages there.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "remora-webhook-verify.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("npm ci lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("npm ci lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	// npm ci writes this file last, so an interrupted install is redone.
	if _, err := os.Stat(filepath.Join(Dir(), "node_modules", ".package-lock.json")); err == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = Dir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %w\n%s", Dir(), err, out)
	}
	return nil
}
