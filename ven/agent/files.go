package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The files of the state directory. It holds the VEN's private key, so the
// directory is 0700 and every file 0600.
const (
	DefaultStateDir = "/var/lib/remora-ven"

	StateFile  = "state.json"  // identity and tunnel parameters, from pairing
	PolicyFile = "policy.json" // the last document applied, as the PCE sent it
	PIDFile    = "agent.pid"   // the running agent's pid, locked while it runs
)

const (
	dirMode  = 0o700
	fileMode = 0o600
)

// ensureDir creates dir with mode 0700, or tightens an existing directory
// to 0700. It refuses a world-writable directory (such as /tmp): a
// directory others can write to is no place for a private key, and
// changing the mode of a shared directory would break its other users.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	switch {
	case !fi.IsDir():
		return fmt.Errorf("state directory %s is not a directory", dir)
	case fi.Mode().Perm()&0o002 != 0:
		return fmt.Errorf("state directory %s is writable by everyone (mode %s); use a directory of its own", dir, fi.Mode().Perm())
	case fi.Mode().Perm() != dirMode:
		if err := os.Chmod(dir, dirMode); err != nil {
			return fmt.Errorf("state directory: %w", err)
		}
	}
	return nil
}

// writeFileAtomic replaces dir/name with data, mode 0600, so that a reader
// (or the agent after a crash or power loss) finds either the old content
// or the new one, never a mix or an empty file: the data goes to a
// temporary file in the same directory, is synced, and is renamed over the
// old name, and the directory is synced so the rename itself is durable.
func writeFileAtomic(dir, name string, data []byte) (err error) {
	if err := ensureDir(dir); err != nil {
		return err
	}
	target := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// CreateTemp makes the file 0600 already; say so, whatever the umask.
	if err := f.Chmod(fileMode); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", target, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := os.Rename(f.Name(), target); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("write %s: sync directory: %w", target, err)
		}
	}
	return nil
}

// removeFiles deletes the agent's files from dir (and dir itself if that
// leaves it empty); files already gone are not an error.
func removeFiles(dir string) error {
	var errs []error
	for _, name := range []string{PolicyFile, StateFile, PIDFile} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	// Temporary files of an interrupted write.
	if tmp, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); err == nil {
		for _, f := range tmp {
			os.Remove(f)
		}
	}
	os.Remove(dir) // fails, harmlessly, if something else is in it
	return errors.Join(errs...)
}
