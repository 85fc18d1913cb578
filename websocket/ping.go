package websocket

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"time"
)

// Ping sends a ping and waits for its pong. The pong is seen by whichever
// goroutine is reading, so a Read or Reader must be in progress (or start
// soon) for Ping to return before ctx ends.
func (c *Conn) Ping(ctx context.Context) error {
	ch := make(chan struct{})
	x := c.extras()
	x.pingMu.Lock()
	if x.pings == nil {
		x.pings = make(map[uint64]chan struct{})
	}
	x.pingSeq++
	seq := x.pingSeq
	x.pings[seq] = ch
	x.pingMu.Unlock()
	forget := func() {
		x.pingMu.Lock()
		delete(x.pings, seq)
		x.pingMu.Unlock()
	}

	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], seq)
	if err := c.writeFrame(ctx, time.Time{}, true, 0, opPing, payload[:]); err != nil {
		forget()
		return err
	}
	select {
	case <-ch:
		if c.isClosed() {
			return ErrClosed
		}
		return nil
	case <-ctx.Done():
		forget()
		return ctx.Err()
	}
}

// pongReceived completes the Ping whose payload the pong carries.
// Unsolicited pongs (section 5.5.3) are ignored.
func (c *Conn) pongReceived(payload []byte) {
	if len(payload) != 8 {
		return
	}
	x := c.extra.Load()
	if x == nil {
		return // no Ping was ever sent
	}
	seq := binary.BigEndian.Uint64(payload)
	x.pingMu.Lock()
	if ch, ok := x.pings[seq]; ok {
		close(ch)
		delete(x.pings, seq)
	}
	x.pingMu.Unlock()
}

// keepAlive pings the peer at an interval and closes the connection when
// a pong does not come within the timeout. It runs on timers, so an idle
// connection has no goroutine for it.
type keepAlive struct {
	c        *Conn
	interval time.Duration
	timeout  time.Duration
	mu       sync.Mutex
	timer    *time.Timer // guarded by mu
	stopped  bool        // guarded by mu
}

func (c *Conn) startKeepAlive(interval, timeout time.Duration) {
	if timeout <= 0 {
		timeout = interval
	}
	ka := &keepAlive{c: c, interval: interval, timeout: timeout}
	c.extras().keepAlive = ka
	ka.mu.Lock()
	ka.timer = time.AfterFunc(interval, ka.tick)
	ka.mu.Unlock()
}

func (ka *keepAlive) tick() {
	ctx, cancel := context.WithTimeout(context.Background(), ka.timeout)
	err := ka.c.Ping(ctx)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			ka.c.closeForKeepAlive()
		}
		return
	}
	ka.mu.Lock()
	if !ka.stopped {
		ka.timer.Reset(ka.interval)
	}
	ka.mu.Unlock()
}

func (ka *keepAlive) stop() {
	ka.mu.Lock()
	ka.stopped = true
	if ka.timer != nil {
		ka.timer.Stop()
	}
	ka.mu.Unlock()
}

// closeForKeepAlive drops a connection whose peer stopped answering; a
// peer that does not read would not read a close frame either.
func (c *Conn) closeForKeepAlive() {
	c.setEnded(endPongTimedOut)
	c.closeNetConn()
}
