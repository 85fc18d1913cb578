package websocket

import "sync/atomic"

// An event happens once, and goroutines may wait for it. Its channel is
// made only when a goroutine waits before the event, so that an idle
// connection does not hold channels that nobody selects on. The zero
// value is an event that has not happened.
type event struct {
	ch atomic.Pointer[chan struct{}] // nil, a channel to close, or happened
}

// happened marks an event that has happened: its channel is closed.
var happened = func() *chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return &ch
}()

// done returns a channel that is closed once the event has happened.
func (e *event) done() <-chan struct{} {
	for {
		if p := e.ch.Load(); p != nil {
			return *p
		}
		ch := make(chan struct{})
		if e.ch.CompareAndSwap(nil, &ch) {
			return ch
		}
	}
}

// fire makes the event happen and wakes its waiters. Only the first call
// has an effect.
func (e *event) fire() {
	for {
		p := e.ch.Load()
		if p == happened {
			return
		}
		if e.ch.CompareAndSwap(p, happened) {
			if p != nil {
				close(*p)
			}
			return
		}
	}
}

// fired reports whether the event has happened.
func (e *event) fired() bool { return e.ch.Load() == happened }
