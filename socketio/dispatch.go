package socketio

import (
	"runtime/debug"
	"sync"
	"time"

	"github.com/duplexrt/duplex/internal/gopool"
)

// dispatchPool runs the dispatchers of the clients; being typed, it starts
// one without making a closure.
var dispatchPool *gopool.Pool[*client]

// An initializer would make a cycle: dispatch leads back to enqueue.
func init() { dispatchPool = gopool.New((*client).dispatch) }

// queueChunk is the backing array of a short dispatch queue. Queues are
// taken from queuePool when work comes and given back when it is done,
// rather than kept by idle clients or made anew for each burst.
type queueChunk [4]work

var queuePool = sync.Pool{New: func() any { return new(queueChunk) }}

// enqueue adds work for the dispatcher, starting it if needed. Work for a
// packet waits while Options.MaxPendingEvents packets are queued (see
// takeSlot), and is dropped once the client is closed; other work
// (continuations of middlewares, disconnect handlers) always runs.
func (c *client) enqueue(w work) {
	if w.packet && !c.takeSlot() {
		return
	}
	c.mu.Lock()
	if w.packet && c.closed {
		c.releaseSlotLocked()
		c.mu.Unlock()
		return
	}
	if c.queue == nil {
		c.queue = queuePool.Get().(*queueChunk)[:0]
	}
	c.queue = append(c.queue, w)
	if !c.running {
		c.running = true
		c.srv.dispatchers.add()
		dispatchPool.Go(c)
	}
	c.mu.Unlock()
}

// dispatch runs the queued work in order and returns when there is none.
// It takes the queue whole and runs it without the lock, then gives the
// emptied slice back as the queue, so that a steady flow of packets does
// not allocate.
func (c *client) dispatch() {
	defer c.srv.dispatchers.done()
	var batch []work
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			q := c.queue
			c.queue = nil
			c.running = false
			c.mu.Unlock()
			recycle(q)
			recycle(batch)
			return
		}
		next := c.queue
		c.queue = batch // an emptied batch, or nil
		batch = next
		c.mu.Unlock()
		for i := range batch {
			w := batch[i]
			batch[i] = work{} // let the work go once done
			c.run(w)
			if w.packet {
				c.mu.Lock()
				c.releaseSlotLocked()
				c.mu.Unlock()
			}
		}
		batch = batch[:0]
	}
}

// recycle gives an emptied queue back to queuePool, if it is a chunk.
func recycle(q []work) {
	if cap(q) == len(queueChunk{}) {
		queuePool.Put((*queueChunk)(q[:cap(q)]))
	}
}

// run runs w, recovering a panic as net/http does for its handlers: it is
// logged and the connection closed.
func (c *client) run(w work) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("socketio: panic in a handler", "session", c.sess.ID(), "panic", r, "stack", string(debug.Stack()))
			c.close(ReasonForcedServerClose)
		}
	}()
	if w.f != nil {
		w.f()
	} else {
		w.ev.s.dispatch(&w.ev.ev)
	}
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
