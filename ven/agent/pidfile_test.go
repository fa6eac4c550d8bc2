package agent

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// One agent per state directory: a second lock is refused naming the
// holder's pid; released, the file is gone and nobody is running.
func TestPIDLock(t *testing.T) {
	dir := t.TempDir()
	l, err := LockPID(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockPID(dir); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second LockPID: %v; want a refusal", err)
	}
	pid, running, err := RunningPID(dir)
	if err != nil || !running || pid != os.Getpid() {
		t.Errorf("RunningPID = %d, %t, %v; want this process", pid, running, err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, running, err := RunningPID(dir); err != nil || running {
		t.Errorf("after Release: running %t, %v", running, err)
	}
	// A pid file left by a crash (not locked) is no running agent.
	if err := os.WriteFile(filepath.Join(dir, PIDFile), []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, running, err := RunningPID(dir); err != nil || running {
		t.Errorf("stale pid file: running %t, %v; want not running", running, err)
	}
}

// StopAgent stops a real process holding the lock, and returns once it
// has exited.
func TestStopAgent(t *testing.T) {
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), pidHelperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Scan()
		line <- sc.Text()
		for sc.Scan() {
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	if l := <-line; l != "locked" {
		t.Fatalf("helper: %q", l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stopped, err := StopAgent(ctx, dir)
	if err != nil || !stopped {
		t.Fatalf("StopAgent = %t, %v", stopped, err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("helper exited with %v, want 0 after SIGTERM", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("StopAgent returned but the process has not exited")
	}
	if stopped, err := StopAgent(ctx, dir); err != nil || stopped {
		t.Errorf("StopAgent with nothing running = %t, %v", stopped, err)
	}
}
