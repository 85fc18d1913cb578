package websocket

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ctxLock is a mutual exclusion lock whose Lock gives up when a context
// ends or a channel closes. Uncontended, it costs one atomic operation
// each way and no allocation; a wait channel exists only while some
// goroutine waits, so an idle connection pays a few words per lock.
type ctxLock struct {
	state atomic.Int32 // lockFree, lockHeld, or lockContended (held, and waiters may sleep)
	mu    sync.Mutex   // guards wait, and the move to lockContended
	wait  chan struct{}
}

const (
	lockFree int32 = iota
	lockHeld
	lockContended
)

// errLockAborted reports that the abort event happened while waiting.
var errLockAborted = errors.New("websocket: lock wait aborted")

// tryLock takes the lock if it is free.
func (l *ctxLock) tryLock() bool { return l.state.CompareAndSwap(lockFree, lockHeld) }

// lock takes the lock, or returns ctx's error when ctx ends, or
// errLockAborted when abort (if not nil) happens, first.
func (l *ctxLock) lock(ctx context.Context, abort *event) error {
	if l.tryLock() {
		return nil
	}
	for {
		l.mu.Lock()
		// Taken as contended: other waiters may be asleep.
		if l.state.CompareAndSwap(lockFree, lockContended) {
			l.mu.Unlock()
			return nil
		}
		if !l.state.CompareAndSwap(lockHeld, lockContended) && l.state.Load() != lockContended {
			// Released meanwhile: try again.
			l.mu.Unlock()
			continue
		}
		if l.wait == nil {
			l.wait = make(chan struct{})
		}
		wait := l.wait
		l.mu.Unlock()
		var aborted <-chan struct{}
		if abort != nil {
			aborted = abort.done()
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		case <-aborted:
			return errLockAborted
		}
	}
}

// unlock releases the lock and wakes the waiters, who race for it.
func (l *ctxLock) unlock() {
	if l.state.CompareAndSwap(lockHeld, lockFree) {
		return
	}
	l.mu.Lock()
	l.state.Store(lockFree)
	if l.wait != nil {
		close(l.wait)
		l.wait = nil
	}
	l.mu.Unlock()
}
