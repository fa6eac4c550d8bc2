package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/remora-sec/remora/ven/wire"
)

// verifyDocument decodes a document as the PCE sent it and checks that it
// is for workload and intact: its hash, recomputed by wire.Normalize on a
// separate copy (Normalize sorts in place), must equal the one it carries.
// A document for another workload or with a wrong hash is refused whole:
// it was damaged or misrouted, and enforcing it would enforce someone
// else's policy or an unknown one.
func verifyDocument(raw []byte, workload string) (*wire.Document, error) {
	var d, c wire.Document
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("decode document: %w", err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode document: %w", err)
	}
	if d.Workload != workload {
		return nil, fmt.Errorf("document is for workload %q, this VEN is workload %q", d.Workload, workload)
	}
	if d.Hash == "" {
		return nil, fmt.Errorf("document generation %d has no hash", d.Generation)
	}
	c.Normalize()
	if c.Hash != d.Hash {
		return nil, fmt.Errorf("document generation %d: hash %s does not match its content (%s)", d.Generation, d.Hash, c.Hash)
	}
	return &d, nil
}

// ErrNoPolicy is returned by LoadPolicy when no document was applied yet.
var ErrNoPolicy = errors.New("no saved policy")

// SavePolicy records raw, a document that was just applied, as the one to
// re-apply at the next start. It is written atomically: a crash leaves the
// previous document or this one.
func SavePolicy(dir string, raw []byte) error {
	return writeFileAtomic(dir, PolicyFile, raw)
}

// LoadPolicy reads and verifies the saved document. It returns ErrNoPolicy
// when there is none, and an error naming the file when it is corrupt.
func LoadPolicy(dir, workload string) (*wire.Document, []byte, error) {
	path := filepath.Join(dir, PolicyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, ErrNoPolicy
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read saved policy: %w", err)
	}
	d, err := verifyDocument(raw, workload)
	if err != nil {
		return nil, nil, fmt.Errorf("saved policy %s is corrupt: %w", path, err)
	}
	return d, raw, nil
}
