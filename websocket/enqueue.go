package websocket

import (
	"context"
	"errors"
	"net"
	"sync"
)

// ErrQueueFull is returned by Enqueue when the connection's send queue
// already holds its limit: the peer reads more slowly than messages come.
var ErrQueueFull = errors.New("websocket: send queue full")

// DefaultQueueLimit is the most payload bytes Enqueue holds for one
// connection unless the options say otherwise.
const DefaultQueueLimit = 1 << 20

// sendQueue holds the prepared messages that Enqueue accepted and a
// goroutine has yet to write. The goroutine exists only while the queue
// is not empty; the queue itself is made on the first Enqueue.
type sendQueue struct {
	mu      sync.Mutex
	msgs    []*PreparedMessage // guarded by mu
	bytes   int                // payload bytes in msgs; guarded by mu
	limit   int                // most bytes; DefaultQueueLimit if 0
	running bool               // a drain goroutine is at work; guarded by mu
}

var preparedSlicePool = sync.Pool{New: func() any { return new([]*PreparedMessage) }}

// Enqueue queues a prepared message for this connection and returns at
// once; a goroutine of the connection's writes it, together with
// whatever else is queued by then, in as few system calls as possible.
// When the queue already holds its limit (AcceptOptions.QueueLimit or
// DialOptions.QueueLimit), Enqueue returns ErrQueueFull and queues
// nothing: the caller decides whether to drop the message or the
// connection. After the connection closed it returns ErrClosed.
//
// Enqueue is for broadcast: one goroutine can hand a message to
// thousands of connections without waiting for any of them. Messages
// from Enqueue and from the write methods keep the order of the calls
// only when the same goroutine makes them after the queue drained.
func (c *Conn) Enqueue(pm *PreparedMessage) error {
	if c.isClosed() {
		return ErrClosed
	}
	q := &c.extras().queue
	n := len(pm.data)
	q.mu.Lock()
	limit := q.limit
	if limit <= 0 {
		limit = DefaultQueueLimit
	}
	if q.bytes > 0 && q.bytes+n > limit {
		q.mu.Unlock()
		return ErrQueueFull
	}
	if q.msgs == nil {
		q.msgs = (*preparedSlicePool.Get().(*[]*PreparedMessage))[:0]
	}
	q.msgs = append(q.msgs, pm)
	q.bytes += n
	c.buffered.Add(int64(n))
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go c.drainQueue()
	}
	return nil
}

// drainQueue writes queued messages until the queue is empty.
func (c *Conn) drainQueue() {
	q := &c.extras().queue
	for {
		q.mu.Lock()
		msgs, n := q.msgs, q.bytes
		q.msgs, q.bytes = nil, 0
		if len(msgs) == 0 {
			q.running = false
			q.mu.Unlock()
			if msgs != nil {
				preparedSlicePool.Put(&msgs)
			}
			return
		}
		q.mu.Unlock()
		err := c.writeQueued(msgs)
		c.buffered.Add(-int64(n))
		clear(msgs)
		msgs = msgs[:0]
		preparedSlicePool.Put(&msgs)
		if err != nil {
			c.closeNetConn()
			c.dropQueue()
			return
		}
	}
}

// dropQueue forgets what is queued once the connection is broken.
func (c *Conn) dropQueue() {
	q := &c.extras().queue
	q.mu.Lock()
	c.buffered.Add(-int64(q.bytes))
	q.msgs, q.bytes, q.running = nil, 0, false
	q.mu.Unlock()
}

// writeQueued writes msgs in order. Frames that are the same for every
// connection of this kind leave in one writev without a copy; the others
// are encoded for this connection.
func (c *Conn) writeQueued(msgs []*PreparedMessage) error {
	ctx := context.Background()
	if err := c.lockMsg(ctx); err != nil {
		return err
	}
	defer c.unlockMsg()
	shared := !c.client && (c.deflate == nil || !c.deflate.writeTakeover)
	if !shared {
		for _, pm := range msgs {
			if err := c.writePreparedLocked(ctx, pm); err != nil {
				return err
			}
		}
		return nil
	}
	bufs := make(net.Buffers, 0, len(msgs))
	for _, pm := range msgs {
		frame, err := c.sharedFrame(pm)
		if err != nil {
			return err
		}
		bufs = append(bufs, frame)
	}
	if err := c.beginFrame(ctx, timeNone); err != nil {
		return err
	}
	defer c.unlockFrame()
	if err := c.flushLocked(); err != nil {
		return err
	}
	if _, err := bufs.WriteTo(c.netConn); err != nil {
		c.writeErr = err
		return err
	}
	return nil
}
