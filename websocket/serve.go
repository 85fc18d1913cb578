package websocket

import (
	"context"
	"errors"
)

// errWouldBlock reports, inside the read path of a connection served by
// the poller, that no more bytes are waiting.
var errWouldBlock = errors.New("websocket: read would block")

// Serve hands every message of c to onMessage and returns at once. When
// reading ends, onClose receives the error that ended it (a *CloseError
// for a closing handshake or a failed connection) and c is closed.
//
// On Linux, for TCP and Unix connections, messages are read by a poller:
// the connection holds no goroutine and no buffer while no data is
// waiting, and a goroutine runs only while there is something to read.
// Elsewhere, and for TLS, a goroutine reads in a loop. Either way the
// messages of one connection are handed over in order, one at a time,
// on a goroutine that may block (in Write, say) without stopping other
// connections; p is valid only during the call. Pings are answered and
// the closing handshake runs as with Read. After Serve, c must not be
// read with Read or Reader.
func (c *Conn) Serve(onMessage func(c *Conn, typ MessageType, p []byte), onClose func(c *Conn, err error)) {
	c.onMessage, c.onClose = onMessage, onClose
	if c.raw != nil && pollerAvailable() {
		if err := pollerAdd(c); err == nil {
			return
		}
	}
	go c.serveLoop()
}

// serveLoop is Serve with a goroutine of its own.
func (c *Conn) serveLoop() {
	ctx := context.Background()
	for {
		typ, p, err := c.Read(ctx)
		if err != nil {
			c.finishServe(err)
			return
		}
		c.onMessage(c, typ, p)
	}
}

// serveReady reads and hands over the messages that are waiting, on a
// goroutine the poller started, and reports whether the connection is to
// be watched again.
func (c *Conn) serveReady() bool {
	if !c.readLock.tryLock() {
		return true // cannot happen: one readiness event at a time
	}
	if c.hasEnded(endServe) {
		c.readLock.unlock()
		return false // closed while the event was on its way
	}
	c.drained = false // the poller saw bytes waiting
	served := 0
	for {
		if c.readErr != nil {
			c.readLock.unlock()
			c.finishServe(c.readErr)
			return false
		}
		typ, p, err := c.readMessage()
		if err == errWouldBlock {
			c.readLock.unlock()
			return true
		}
		if err != nil {
			err = c.readError(context.Background(), err)
			c.readLock.unlock()
			c.finishServe(err)
			return false
		}
		c.markBurst()
		c.onMessage(c, typ, p)
		// Bytes may have come while onMessage ran: the socket is worth
		// reading again, which is cheaper than the way through the
		// poller, since the runtime looks for network events only when
		// it has nothing else to run.
		c.drained = false
		served += len(p)
		if served >= serveBudget && (c.rbuf == nil || c.r == c.w) {
			// Back to the poller, behind the connections that became
			// readable meanwhile; re-arming reports the bytes still
			// waiting in the socket at once.
			c.beforeWait()
			c.releaseMsgBuf()
			c.releaseReadBuf()
			c.readLock.unlock()
			return true
		}
	}
}

// serveBudget is how many bytes of messages one readiness event of a
// served connection hands over before the connection goes back to the
// poller, so that a peer that keeps sending cannot hold a worker while
// other connections wait.
const serveBudget = 64 << 10

// finishServe ends a served connection; only its first call counts.
func (c *Conn) finishServe(err error) {
	if !c.setEnded(endServe) {
		return
	}
	c.closeNetConn()
	if c.onClose != nil {
		c.onClose(c, err)
	}
}

// endServeIfIdle ends the serving of a connection that was closed while
// no worker was reading it.
func (c *Conn) endServeIfIdle() {
	if c.readLock.tryLock() {
		c.finishServe(ErrClosed)
		c.readLock.unlock()
	}
}
