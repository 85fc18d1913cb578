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
	// maxIdle bounds the goroutines a Pool keeps waiting for work.
	maxIdle = 64
	// idleTimeout is how long a kept goroutine waits before it ends.
	idleTimeout = 10 * time.Second
)

// A Pool runs a function on values handed to it, each on a goroutine of
// the pool. It keeps at most 64 idle goroutines, each for at most 10 s.
type Pool[T any] struct {
	run  func(T)
	work chan T
	idle atomic.Int32 // goroutines waiting on work
}

// New returns a Pool that calls run with each value given to Go.
func New[T any](run func(T)) *Pool[T] {
	return &Pool[T]{run: run, work: make(chan T)}
}

// Go calls the pool's function with v on a waiting goroutine, or on a new
// one when none waits. It never blocks.
func (p *Pool[T]) Go(v T) {
	select {
	case p.work <- v:
	default:
		go p.worker(v)
	}
}

// worker runs v, then the values Go hands it, until enough other workers
// wait or none comes for idleTimeout.
func (p *Pool[T]) worker(v T) {
	var zero T
	var timer *time.Timer
	for {
		p.run(v)
		v = zero // let the value go while waiting
		if p.idle.Add(1) > maxIdle {
			p.idle.Add(-1)
			return
		}
		if timer == nil {
			timer = time.NewTimer(idleTimeout)
		} else {
			timer.Reset(idleTimeout)
		}
		select {
		case v = <-p.work:
			p.idle.Add(-1)
		case <-timer.C:
			p.idle.Add(-1)
			return
		}
	}
}

var funcs = New(func(f func()) { f() })

// Go runs f on a goroutine of a pool shared by the whole process.
func Go(f func()) { funcs.Go(f) }
