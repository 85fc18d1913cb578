package main

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// A monitor collects the first failure of a run: a client whose
// connection ended, a packet that did not verify. Runs wait on failed
// next to their timers, so that a failure ends them at once.
type monitor struct {
	closing atomic.Bool // the run closes its clients: their ends are no failure

	once   sync.Once
	failed chan struct{} // closed at the first failure
	err    error         // the first failure; read after failed is closed
}

func newMonitor() *monitor { return &monitor{failed: make(chan struct{})} }

// fail records err if it is the first failure.
func (m *monitor) fail(err error) {
	m.once.Do(func() {
		m.err = err
		close(m.failed)
	})
}

// ended is told that client c's read loop ended with err.
func (m *monitor) ended(c *client, err error) {
	if m.closing.Load() {
		return
	}
	m.fail(fmt.Errorf("client %d: connection ended: %v", c.id, err))
}

// Err returns the first failure, or nil.
func (m *monitor) Err() error {
	select {
	case <-m.failed:
		return m.err
	default:
		return nil
	}
}
