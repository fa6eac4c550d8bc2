package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The pid file says which process runs the agent for a state directory, so
// that unpair can stop it. The running agent holds an exclusive flock on
// it for its lifetime: the lock, not the file's presence, says it runs, so
// a file left by a crash (or a pid reused since) is never mistaken for a
// live agent, and two agents cannot run on one state directory.

// PIDLock is the running agent's hold on its pid file.
type PIDLock struct {
	f *os.File
}

// LockPID takes the pid file of dir for this process, or says which
// process holds it.
func LockPID(dir string) (*PIDLock, error) {
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, PIDFile)
	for try := 0; ; try++ {
		f, err := lockFile(path)
		if err != nil {
			return nil, err
		}
		// A releasing agent removes the file before unlocking it, so the
		// file just locked may be one that is gone from the directory;
		// holding its lock would let a second agent lock the new file.
		fi, ferr := f.Stat()
		pi, perr := os.Stat(path)
		if ferr == nil && perr == nil && os.SameFile(fi, pi) {
			err = f.Truncate(0)
			if err == nil {
				_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("write pid file %s: %w", path, err)
			}
			return &PIDLock{f: f}, nil
		}
		f.Close()
		if try == 4 {
			return nil, fmt.Errorf("lock pid file %s: it keeps being replaced", path)
		}
	}
}

// lockFile opens path and locks it exclusively. RunningPID holds a shared
// lock for an instant, so a few tries keep a status query from making a
// starting agent think another one runs.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("pid file: %w", err)
	}
	for try := 0; ; try++ {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if try == 4 || !errors.Is(err, syscall.EWOULDBLOCK) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.Close()
	if errors.Is(err, syscall.EWOULDBLOCK) {
		pid, _ := readPID(path)
		return nil, fmt.Errorf("an agent is already running for %s (pid %d)", filepath.Dir(path), pid)
	}
	return nil, fmt.Errorf("lock pid file %s: %w", path, err)
}

// Release removes the pid file and drops the lock. The file goes first, so
// that whoever sees it sees it locked.
func (l *PIDLock) Release() error {
	err := os.Remove(l.f.Name())
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return errors.Join(err, l.f.Close())
}

// RunningPID reports the pid of the agent running for dir, if one is.
func RunningPID(dir string) (pid int, running bool, err error) {
	path := filepath.Join(dir, PIDFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("pid file: %w", err)
	}
	defer f.Close()
	// A shared lock is granted exactly when no agent holds the exclusive
	// one; it is dropped again at once by closing the file.
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if err == nil {
		return 0, false, nil
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		return 0, false, fmt.Errorf("check pid file %s: %w", path, err)
	}
	pid, err = readPID(path)
	if err != nil {
		return 0, true, err
	}
	return pid, true, nil
}

func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s holds %q, not a pid", path, b)
	}
	return pid, nil
}

// StopAgent sends SIGTERM to the agent running for dir, if any, and waits
// until it has exited (its lock is gone) or ctx ends. It reports whether
// an agent was running.
func StopAgent(ctx context.Context, dir string) (bool, error) {
	pid, running, err := RunningPID(dir)
	if err != nil || !running {
		return false, err
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return true, fmt.Errorf("stop agent (pid %d): %w", pid, err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, running, err := RunningPID(dir); err == nil && !running {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return true, fmt.Errorf("agent (pid %d) did not stop: %w", pid, ctx.Err())
		case <-tick.C:
		}
	}
}
