// Package gopool runs short-lived work on goroutines kept for reuse. A
// new goroutine starts on a small stack and grows it on every deep call
// path, which costs more than the work itself when the work is a single
// message; a kept goroutine has its stack grown already.
package gopool

import (
	"sync/atomic"
	"time"
)

const (
	// maxIdle bounds the goroutines kept waiting for work.
	maxIdle = 64
	// idleTimeout is how long a kept goroutine waits before it ends.
	idleTimeout = 10 * time.Second
)

var (
	work = make(chan func())
	idle atomic.Int32 // goroutines waiting on work
)

// Go runs f on a waiting goroutine, or on a new one when none waits. It
// never blocks.
func Go(f func()) {
	select {
	case work <- f:
	default:
		go worker(f)
	}
}

// worker runs f, then the work Go hands it, until enough other workers
// wait or none comes for idleTimeout.
func worker(f func()) {
	var timer *time.Timer
	for {
		f()
		f = nil // let the work's closure go while waiting
		if idle.Add(1) > maxIdle {
			idle.Add(-1)
			return
		}
		if timer == nil {
			timer = time.NewTimer(idleTimeout)
		} else {
			timer.Reset(idleTimeout)
		}
		select {
		case f = <-work:
			idle.Add(-1)
		case <-timer.C:
			idle.Add(-1)
			return
		}
	}
}
