package socketio

import (
	"runtime/debug"
	"time"

	"github.com/duplexrt/duplex/internal/gopool"
)

// enqueue adds work for the dispatcher, starting it if needed. Work for a
// packet waits while Options.MaxPendingEvents packets are queued (see
// takeSlot), and is dropped once the client is closed; other work
// (continuations of middlewares, disconnect handlers) always runs.
func (c *client) enqueue(f func(), packet bool) {
	if packet && !c.takeSlot() {
		return
	}
	c.mu.Lock()
	if packet && c.closed {
		c.releaseSlotLocked()
		c.mu.Unlock()
		return
	}
	c.queue = append(c.queue, work{f, packet})
	if !c.running {
		c.running = true
		c.srv.dispatchers.add()
		gopool.Go(c.dispatch)
	}
	c.mu.Unlock()
}

// dispatch runs the queued work in order and returns when there is none.
func (c *client) dispatch() {
	defer c.srv.dispatchers.done()
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.running = false
			c.queue = nil
			c.mu.Unlock()
			return
		}
		w := c.queue[0]
		c.queue[0] = work{}
		c.queue = c.queue[1:]
		c.mu.Unlock()
		c.run(w.f)
		if w.packet {
			c.mu.Lock()
			c.releaseSlotLocked()
			c.mu.Unlock()
		}
	}
}

// run runs f, recovering a panic as net/http does for its handlers: it is
// logged and the connection closed.
func (c *client) run(f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("socketio: panic in a handler", "session", c.sess.ID(), "panic", r, "stack", string(debug.Stack()))
			c.close(ReasonForcedServerClose)
		}
	}()
	f()
}

// takeSlot takes a token for a queued packet. When none is free, the
// session's reading waits, as long as the Engine.IO ping timeout: a client
// whose handlers are that far behind is disconnected. The wait has to
// end, since the handlers may be waiting for something only this reading
// can deliver (an acknowledgement of the same client), and the session
// cannot close while its reading is stopped.
func (c *client) takeSlot() bool {
	var t *time.Timer
	for {
		c.mu.Lock()
		if c.pending < c.srv.opts.MaxPendingEvents {
			c.pending++
			c.mu.Unlock()
			if t != nil {
				t.Stop()
			}
			return true
		}
		if c.slotFreed == nil {
			c.slotFreed = make(chan struct{})
		}
		freed := c.slotFreed
		c.mu.Unlock()
		if t == nil {
			t = time.NewTimer(c.srv.pendingWait)
		}
		select {
		case <-freed:
		case <-t.C:
			c.srv.log.Warn("socketio: handlers too far behind, disconnecting a client", "session", c.sess.ID(), "pending", c.srv.opts.MaxPendingEvents)
			c.close(ReasonForcedServerClose)
			return false
		}
	}
}

// releaseSlotLocked gives back the token of a packet, waking the reading
// if it waits for one.
func (c *client) releaseSlotLocked() {
	c.pending--
	if c.slotFreed != nil {
		close(c.slotFreed)
		c.slotFreed = nil
	}
}
