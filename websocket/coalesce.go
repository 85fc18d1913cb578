package websocket

import (
	"context"
	"time"
)

// Small frames written while the connection holds more received messages
// than its reader has taken are queued, and leave together in one system
// call: when the reader has taken them all and would wait for the
// network, when the queue fills, or after coalesceDelay at the latest.
// A server that answers a burst of requests thus answers it with one
// write instead of one per message, and a lone message leaves at once.
//
// Within a burst, frames of up to coalesceMaxLarge are queued too, in a
// larger queue: over loopback and fast links a write costs far more in
// the kernel than copying 16 KiB does, so four echoes of 16 KiB cost
// about one write's time in one system call and four in four.

const (
	// coalesceMaxFrame is the largest frame that is queued outside a
	// burst, behind frames already queued.
	coalesceMaxFrame = 2048
	// coalesceBufferSize is the most that is queued before a flush.
	coalesceBufferSize = 16 << 10
	// coalesceMaxLarge is the largest frame that a burst queues; larger
	// ones are written at once, without a copy, their system call paid
	// for by their size.
	coalesceMaxLarge = 32 << 10
	// coalesceLargeBufferSize is the queue of a burst of larger frames.
	coalesceLargeBufferSize = 128 << 10
	// coalesceDelay bounds how long a queued frame waits.
	coalesceDelay = time.Millisecond
)

// queueFrameLocked appends a frame to the queue, or reports false when
// the frame must be written at once. The frame lock is held; hdr is the
// encoded header and p the payload, masked with key when this is a
// client.
//
// A small frame written after the burst, when frames are queued, joins
// them and they leave at once: the answer to a burst's last message goes
// in the same system call as the answers to the others.
func (c *Conn) queueFrameLocked(hdr []byte, p []byte, key [4]byte) (bool, error) {
	size := len(hdr) + len(p)
	burst := c.burst.Load() || c.batching
	queueSize := coalesceBufferSize
	switch {
	case size <= coalesceMaxFrame:
		if !burst && c.pend == nil {
			return false, nil
		}
	case size <= coalesceMaxLarge && burst:
		queueSize = coalesceLargeBufferSize
	default:
		return false, nil
	}
	if c.pend != nil && len(c.pend.b)+size > cap(c.pend.b) {
		if err := c.flushLocked(); err != nil || !burst {
			return false, err
		}
	}
	if c.pend == nil {
		c.pend = getMsgBuf(queueSize)
	}
	b := append(c.pend.b, hdr...)
	start := len(b)
	b = append(b, p...)
	if c.client {
		mask(key, 0, b[start:])
	}
	c.pend.b = b
	c.pendPayload += int64(len(p))
	c.pendBytes.Add(int64(len(p)))
	if !burst {
		return true, c.flushLocked()
	}
	if !c.pendFlag.Swap(true) && !c.batching {
		if c.flushTimer == nil {
			c.flushTimer = time.AfterFunc(coalesceDelay, c.flushOnTimer)
		} else {
			c.flushTimer.Reset(coalesceDelay)
		}
	}
	return true, nil
}

// flushLocked writes the queued frames; the frame lock is held. A failed
// flush breaks the connection: the frames' writers have already returned.
func (c *Conn) flushLocked() error {
	if c.pend == nil {
		return nil
	}
	_, err := c.netConn.Write(c.pend.b)
	c.pendBytes.Add(-c.pendPayload)
	c.pendPayload = 0
	putMsgBuf(c.pend)
	c.pend = nil
	c.pendFlag.Store(false)
	if err != nil {
		c.writeErr = err
		c.closeNetConn()
	}
	return err
}

// flushQueued writes the queued frames, if any, from any goroutine. With
// wait false it gives up when a writer holds the frame lock: that writer
// either flushes the queue before its own frame or arms the timer.
func (c *Conn) flushQueued(wait bool) {
	if !c.pendFlag.Load() {
		return
	}
	if wait {
		if c.frameLock.lock(context.Background(), &c.closed) != nil {
			return
		}
	} else if !c.frameLock.tryLock() {
		return
	}
	if c.pend != nil && c.writeErr == nil {
		c.writeWatch.setFixed(time.Now().Add(controlWriteTimeout))
		c.flushLocked()
	}
	c.unlockFrame()
}

// markBurst records, after the reader has taken a message, whether more
// received bytes are waiting for it; writes meanwhile are queued.
func (c *Conn) markBurst() {
	c.burst.Store(c.rbuf != nil && c.w > c.r)
}

func (c *Conn) flushOnTimer() { c.flushQueued(true) }

// beforeWait is called by the reader before it waits for the network: the
// burst is over, and what it queued goes out now. It must not wait for a
// writer blocked on a peer that itself waits for this reader.
func (c *Conn) beforeWait() {
	c.burst.Store(false)
	c.flushQueued(false)
}
