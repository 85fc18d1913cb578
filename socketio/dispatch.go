package socketio

import (
	"runtime/debug"
)

// enqueue adds work for the dispatcher, starting it if needed. Work for a
// packet waits while Options.MaxPendingEvents packets are queued, and is
// dropped once the client is closed; other work (continuations of
// middlewares, disconnect handlers) always runs.
func (c *client) enqueue(f func(), packet bool) {
	if packet {
		c.slots <- struct{}{}
	}
	c.mu.Lock()
	if packet && c.closed {
		c.mu.Unlock()
		<-c.slots
		return
	}
	c.queue = append(c.queue, work{f, packet})
	if !c.running {
		c.running = true
		c.srv.dispatchers.add()
		go c.dispatch()
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
			<-c.slots
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
