package websocket

import (
	"context"
	"encoding/binary"
	"errors"
	"time"
	"unicode/utf8"
)

// maxCloseReason is the longest close reason: a control frame carries at
// most 125 bytes, two of them the status code.
const maxCloseReason = maxControlPayload - 2

// handleControl acts on a control frame that arrived while reading.
func (c *Conn) handleControl(op opcode, payload []byte) error {
	switch op {
	case opPing:
		// Section 5.5.2: answer with a pong of the same payload, unless a
		// close frame was already sent.
		if err := c.writeControl(opPong, payload); err != nil && !errors.Is(err, ErrClosed) {
			return err
		}
		if x := c.extra.Load(); x != nil && x.onPing != nil {
			x.onPing(payload)
		}
	case opPong:
		c.pongReceived(payload)
		if x := c.extra.Load(); x != nil && x.onPong != nil {
			x.onPong(payload)
		}
	case opClose:
		return c.handleClose(payload)
	}
	return nil
}

// handleClose answers the peer's close frame (section 5.5.1) and ends
// the connection.
func (c *Conn) handleClose(payload []byte) error {
	ce := &CloseError{Code: StatusNoStatusRcvd}
	switch {
	case len(payload) == 1:
		return c.fail(StatusProtocolError, "close frame with a one-byte body")
	case len(payload) >= 2:
		ce.Code = StatusCode(binary.BigEndian.Uint16(payload))
		if !ce.Code.validOnWire() {
			return c.fail(StatusProtocolError, "invalid close code "+itoa64(int64(ce.Code)))
		}
		if !validUTF8(payload[2:]) {
			return c.fail(StatusInvalidFramePayloadData, "close reason is not valid UTF-8")
		}
		ce.Reason = string(payload[2:])
	}
	c.readErr = ce
	c.setState(StateClosing)
	// Echo the status code if our own close frame has not gone yet.
	var echo [2]byte
	body := echo[:0]
	if ce.Code != StatusNoStatusRcvd {
		binary.BigEndian.PutUint16(echo[:], uint16(ce.Code))
		body = echo[:]
	}
	c.writeControl(opClose, body)
	c.signalCloseRcvd(ce)
	if c.client {
		// Section 7.1.1: the server closes TCP first; give it a moment.
		c.awaitEOF(time.Now().Add(closeTimeout))
	}
	c.closeNetConn()
	return ce
}

// awaitEOF reads and drops bytes until the peer closes TCP or the
// deadline passes.
func (c *Conn) awaitEOF(deadline time.Time) {
	c.readWatch.setFixed(deadline)
	var scratch [256]byte
	for {
		if _, err := c.netConn.Read(scratch[:]); err != nil {
			return
		}
	}
}

// fail fails the connection (section 7.1.7): it sends a close frame with
// code and reason, closes TCP and makes the returned *CloseError the
// answer of every later read. It is called with the read lock held.
func (c *Conn) fail(code StatusCode, reason string) error {
	ce := &CloseError{Code: code, Reason: reason, Local: true}
	c.readErr = ce
	c.setState(StateClosing)
	c.writeControl(opClose, closePayload(code, reason))
	c.signalCloseRcvd(nil)
	c.lingerClose()
	return ce
}

// lingerClose closes the connection after a protocol failure. Closing a
// socket with unread input makes the kernel send a reset, which can
// destroy the close frame before the peer reads it; so shut down the
// sending side, drop what the peer still sends until it closes or a
// short time passes, then close.
func (c *Conn) lingerClose() {
	type closeWriter interface{ CloseWrite() error }
	cw, ok := c.netConn.(closeWriter)
	if !ok || c.isClosed() {
		c.closeNetConn()
		return
	}
	cw.CloseWrite()
	c.readWatch.setFixed(time.Now().Add(time.Second))
	if c.rbuf != nil {
		c.r = c.w
		c.releaseReadBuf()
	}
	go func() {
		var scratch [512]byte
		for {
			if _, err := c.netConn.Read(scratch[:]); err != nil {
				break
			}
		}
		c.closeNetConn()
	}()
}

// closePayload builds the body of a close frame.
func closePayload(code StatusCode, reason string) []byte {
	if len(reason) > maxCloseReason {
		reason = truncateUTF8(reason, maxCloseReason)
	}
	b := make([]byte, 2+len(reason))
	binary.BigEndian.PutUint16(b, uint16(code))
	copy(b[2:], reason)
	return b
}

// truncateUTF8 cuts s to at most n bytes without splitting a code point.
func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Close starts the closing handshake (section 7.1.2): it sends a close
// frame with code and reason, waits a bounded time for the peer's close
// frame, and closes the TCP connection. code must be one that may be
// sent: 1000-1003, 1007-1011 or 3000-4999; the reason is at most 123
// bytes of UTF-8.
//
// If no other goroutine is reading, Close reads and drops incoming
// messages while it waits. It returns nil when the peer answered. For a
// connection given to Serve, Close returns once its frame is sent; the
// poller completes the handshake, and onClose reports its end.
func (c *Conn) Close(code StatusCode, reason string) error {
	if !code.validOnWire() {
		return errors.New("websocket: close code " + code.String() + " may not be sent")
	}
	if len(reason) > maxCloseReason {
		return errors.New("websocket: close reason longer than 123 bytes")
	}
	if !utf8.ValidString(reason) {
		return errors.New("websocket: close reason is not valid UTF-8")
	}
	if c.isClosed() {
		return ErrClosed
	}
	// A writer stuck on a peer that does not read holds the frame lock:
	// the close frame waits for it at most closeTimeout.
	stuck := time.AfterFunc(closeTimeout, c.closeNetConn)
	err := c.writeControl(opClose, closePayload(code, reason))
	stuck.Stop()
	if err != nil && !errors.Is(err, ErrClosed) {
		c.closeNetConn()
		return err
	}
	if c.nonblocking {
		// Served connections read on the poller's goroutines, perhaps
		// this very one (Close from onMessage): the poller completes the
		// handshake, and a timer drops a peer that never answers.
		time.AfterFunc(closeTimeout, c.closeNetConn)
		return nil
	}
	return c.waitPeerClose(time.Now().Add(closeTimeout))
}

// waitPeerClose waits until the peer's close frame arrives or the
// deadline passes, reading itself if no one else is, then closes TCP.
func (c *Conn) waitPeerClose(deadline time.Time) error {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if c.readLock.lock(ctx, &c.closeRcvd) == nil {
		c.drainUntilClose(deadline)
		c.unlockRead()
	}
	select {
	case <-c.closeRcvd.done():
	case <-ctx.Done():
	}
	c.closeNetConn()
	if !c.hasEnded(endPeerClose) {
		return errors.New("websocket: peer did not answer the close frame")
	}
	return nil
}

// drainUntilClose reads and drops messages until the peer's close frame
// arrives or the deadline passes. The read lock must be held.
func (c *Conn) drainUntilClose(deadline time.Time) {
	if c.readErr != nil {
		return
	}
	c.readWatch.setFixed(deadline)
	for {
		if c.msgActive || c.inFrame {
			if err := c.discardMessage(); err != nil {
				break
			}
		}
		if err := c.nextFrame(); err != nil {
			break
		}
	}
	if c.readErr == nil {
		c.readErr = ErrClosed
	}
	c.signalCloseRcvd(nil)
}

// CloseNow closes the TCP connection at once, without a closing
// handshake. Reads and writes in progress return ErrClosed.
func (c *Conn) CloseNow() error {
	if c.isClosed() {
		return ErrClosed
	}
	c.closeNetConn()
	return nil
}
