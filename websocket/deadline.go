package websocket

import (
	"context"
	"sync"
	"time"
)

// aLongTimeAgo is a deadline in the past, to interrupt blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// ctxWatch applies a context's deadline and cancellation to one
// direction of the connection (reads or writes). The registration with
// a cancellable context is kept from one call to the next while the
// context stays the same, so a loop that reads or writes with one
// context (a request's, say) allocates nothing per message.
type ctxWatch struct {
	c     *Conn // whose netConn's deadline the watch moves
	write bool  // the watch moves the write deadline, not the read deadline

	// Owned by the goroutine holding the direction's lock.
	deadlineSet bool
	done        <-chan struct{} // Done of the watched context

	mu    sync.Mutex    // guards stop and fired, which close also uses
	stop  func() bool   // unregisters the watch; nil when none
	fired chan struct{} // closed once the watch has moved the deadline
}

// apply prepares the direction for an operation under ctx. It returns
// ctx's error if ctx has already ended.
func (w *ctxWatch) apply(ctx context.Context) error {
	if err := contextError(ctx); err != nil {
		return err
	}
	if done := ctx.Done(); done != w.done {
		w.release()
		if done != nil {
			fired := make(chan struct{})
			w.mu.Lock()
			w.stop = context.AfterFunc(ctx, func() {
				w.setDeadline(aLongTimeAgo)
				close(fired)
			})
			w.fired = fired
			w.mu.Unlock()
			w.done = done
		}
	}
	if d, ok := ctx.Deadline(); ok {
		w.setDeadline(d)
		w.deadlineSet = true
	} else if w.deadlineSet {
		w.setDeadline(time.Time{})
		w.deadlineSet = false
	}
	return nil
}

// setFixed sets a deadline that is not a context's, dropping any watch.
func (w *ctxWatch) setFixed(d time.Time) {
	w.release()
	w.setDeadline(d)
	w.deadlineSet = true
}

// release drops the current watch and undoes what it did.
func (w *ctxWatch) release() {
	w.mu.Lock()
	stop, fired := w.stop, w.fired
	w.stop, w.fired = nil, nil
	w.mu.Unlock()
	w.done = nil
	if stop != nil && !stop() {
		<-fired
		w.deadlineSet = true
	}
	if w.deadlineSet {
		w.setDeadline(time.Time{})
		w.deadlineSet = false
	}
}

// unregister drops the watch's registration with its context; it may be
// called from any goroutine, once the connection is closed.
func (w *ctxWatch) unregister() {
	w.mu.Lock()
	if w.stop != nil {
		w.stop()
		w.stop, w.fired = nil, nil
	}
	w.mu.Unlock()
}

// setDeadline sets the deadline of the watched direction.
func (w *ctxWatch) setDeadline(t time.Time) {
	if w.write {
		w.c.netConn.SetWriteDeadline(t)
	} else {
		w.c.netConn.SetReadDeadline(t)
	}
}

// contextError returns ctx's error, or DeadlineExceeded once its
// deadline has passed: the socket's deadline may fire a moment before
// the context's own timer.
func contextError(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}
