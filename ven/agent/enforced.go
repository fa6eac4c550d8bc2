package agent

import (
	"sync"

	"github.com/remora-sec/remora/ven/wire"
)

// Enforced is what a running agent enforces and has to report, shared by
// its loops: the poller records each document it applied, the checker
// counts tampering, and the heartbeat reads both. Kick asks for an early
// heartbeat, so the PCE learns at once of a new generation or a tamper;
// behind tells the poller that a heartbeat got through and the PCE has a
// newer generation, so a poller backing off from an unreachable PCE polls
// at once instead of finishing a wait of up to half a minute.
type Enforced struct {
	mu         sync.Mutex
	generation uint64
	hash       string
	tampered   int
	kick       chan struct{}
	behind     chan struct{}
}

// NewEnforced starts from the document applied at boot, if any.
func NewEnforced(d *wire.Document) *Enforced {
	e := &Enforced{kick: make(chan struct{}, 1), behind: make(chan struct{}, 1)}
	if d != nil {
		e.generation, e.hash = d.Generation, d.Hash
	}
	return e
}

// Applied records that d is now enforced.
func (e *Enforced) Applied(d *wire.Document) {
	e.mu.Lock()
	e.generation, e.hash = d.Generation, d.Hash
	e.mu.Unlock()
	e.Kick()
}

// Current is the generation and hash enforced.
func (e *Enforced) Current() (uint64, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.generation, e.hash
}

// Tampered counts one restoration of the firewall.
func (e *Enforced) Tampered() {
	e.mu.Lock()
	e.tampered++
	e.mu.Unlock()
	e.Kick()
}

// takeTampered returns the count to report and clears it; a heartbeat that
// fails gives it back with untakeTampered, so no tamper goes unreported.
func (e *Enforced) takeTampered() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.tampered
	e.tampered = 0
	return n
}

func (e *Enforced) untakeTampered(n int) {
	e.mu.Lock()
	e.tampered += n
	e.mu.Unlock()
}

// Kick asks for a heartbeat now; kicks while one is pending merge.
func (e *Enforced) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

func (e *Enforced) kicked() <-chan struct{} { return e.kick }

// Behind says the PCE has a generation newer than the one enforced.
func (e *Enforced) Behind() {
	select {
	case e.behind <- struct{}{}:
	default:
	}
}

func (e *Enforced) behindPCE() <-chan struct{} { return e.behind }
