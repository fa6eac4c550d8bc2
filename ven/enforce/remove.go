package enforce

import "fmt"

// Restore modes of Remove.
const (
	RestoreOpen   = "open"   // delete the table: the host is unfiltered
	RestoreClosed = "closed" // keep only loopback, established and exempt traffic
)

// Remove ends enforcement of the last document. "open" deletes the table;
// "closed" replaces it with one that drops everything but loopback,
// established and related traffic, neighbor discovery and the exemptions,
// in both directions. Either way the next Apply rebuilds the table from
// its document, and Check keeps the state Remove left.
func (e *Enforcer) Remove(restore string) error {
	var p *program
	switch restore {
	case RestoreOpen:
	case RestoreClosed:
		p = closedProgram(e.cfg.Exempt)
	default:
		return fmt.Errorf("remove table %s: restore %q: want open or closed", e.cfg.Table, restore)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.sendFull(p); err != nil {
		return fmt.Errorf("remove table %s (%s): %w", e.cfg.Table, restore, err)
	}
	e.doc = nil
	return nil
}
