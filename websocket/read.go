package websocket

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
)

// Read reads the next data message. Control frames that arrive before it
// are handled on the way: pings are answered, pongs complete Pings, and a
// close frame is answered and ends the connection with a *CloseError.
//
// The returned slice is valid until the next call to Read or Reader; it
// is reused so that reading allocates nothing in steady state. Copy it to
// keep it.
//
// When ctx ends while a message is partly read, Read returns ctx's error
// and the connection stays usable: the next Read resumes the message.
func (c *Conn) Read(ctx context.Context) (MessageType, []byte, error) {
	if err := c.beginRead(ctx); err != nil {
		return 0, nil, err
	}
	defer c.unlockRead()
	typ, p, err := c.readMessage()
	if err != nil {
		return 0, nil, c.readError(ctx, err)
	}
	c.markBurst()
	return typ, p, nil
}

// readMessage is Read with the read lock held.
func (c *Conn) readMessage() (MessageType, []byte, error) {
	if !c.assembling {
		c.releaseMsgBuf()
		if c.messageUnfinished() {
			// A streaming reader left a message unfinished.
			if err := c.discardMessage(); err != nil {
				return 0, nil, err
			}
		}
		c.releaseReadBuf()
		if err := c.nextFrame(); err != nil {
			return 0, nil, err
		}
		// Fast path: a whole message in one frame, already buffered, is
		// returned where it lies.
		if c.hdr.fin && !c.compressed && c.rbuf != nil && int64(c.w-c.r) >= c.remaining {
			n := int(c.remaining)
			p := c.rbuf.b[c.r : c.r+n : c.r+n]
			if err := c.consumePayload(p); err != nil {
				return 0, nil, err
			}
			c.r += n
			if err := c.endFrame(); err != nil {
				return 0, nil, err
			}
			return c.msgType, p, nil
		}
		c.msgBuf = getMsgBuf(int(min(c.remaining, c.readLimit.Load())))
		c.assembling = true
	}
	for {
		if c.remaining == 0 && !c.inFrame {
			if !c.msgActive {
				break
			}
			if err := c.nextFrame(); err != nil {
				return 0, nil, err
			}
			continue
		}
		buf := c.msgBuf.b
		if len(buf) == cap(buf) {
			need := len(buf) + int(min(c.remaining, 1<<20))
			if need == len(buf) {
				need++
			}
			bigger := getMsgBuf(need)
			bigger.b = append(bigger.b, buf...)
			putMsgBuf(c.msgBuf)
			c.msgBuf = bigger
			buf = bigger.b
		}
		n, err := c.readPayload(buf[len(buf):cap(buf)])
		c.msgBuf.b = buf[:len(buf)+n]
		if err != nil {
			return 0, nil, err
		}
	}
	c.assembling = false
	if c.w == c.r {
		c.releaseReadBuf()
	}
	if c.compressed {
		if err := c.inflateMessage(); err != nil {
			return 0, nil, err
		}
	}
	return c.msgType, c.msgBuf.b, nil
}

// Reader returns the next data message as a stream: its bytes are handed
// out as they arrive, so a message larger than memory can be consumed.
// ctx bounds the whole message. The reader is valid until the next call
// to Read or Reader, which discards whatever it left unread.
func (c *Conn) Reader(ctx context.Context) (MessageType, io.Reader, error) {
	if err := c.beginRead(ctx); err != nil {
		return 0, nil, err
	}
	defer c.unlockRead()
	c.releaseMsgBuf()
	c.assembling = false
	if c.messageUnfinished() {
		if err := c.discardMessage(); err != nil {
			return 0, nil, c.readError(ctx, err)
		}
	}
	if err := c.nextFrame(); err != nil {
		return 0, nil, c.readError(ctx, err)
	}
	mr := &c.extras().mr
	mr.ctx = ctx
	mr.active = true
	return c.msgType, mr, nil
}

// messageReader is the io.Reader that Reader returns; each Conn has one.
type messageReader struct {
	c      *Conn
	ctx    context.Context
	active bool
}

// Read reads the message's payload. It returns io.EOF at the end of the
// message.
func (mr *messageReader) Read(p []byte) (int, error) {
	c := mr.c
	if err := c.lockRead(mr.ctx); err != nil {
		return 0, err
	}
	defer c.unlockRead()
	if !mr.active {
		return 0, io.EOF
	}
	if c.readErr != nil {
		return 0, c.readErr
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := c.readWatch.apply(mr.ctx); err != nil {
		return 0, err
	}
	if c.compressed {
		n, err := c.inflateStream(p)
		if err == io.EOF {
			mr.active = false
			if c.w == c.r {
				c.releaseReadBuf()
			}
			c.markBurst()
			return n, io.EOF
		}
		if err != nil {
			return n, c.readError(mr.ctx, err)
		}
		return n, nil
	}
	for {
		if c.remaining == 0 && !c.inFrame {
			if !c.msgActive {
				mr.active = false
				if c.w == c.r {
					c.releaseReadBuf()
				}
				c.markBurst()
				return 0, io.EOF
			}
			if err := c.nextFrame(); err != nil {
				return 0, c.readError(mr.ctx, err)
			}
			continue
		}
		n, err := c.readPayload(p)
		if err != nil {
			return n, c.readError(mr.ctx, err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// messageUnfinished reports whether part of the current message is
// still to be read, raw or through the decompressor.
func (c *Conn) messageUnfinished() bool {
	return c.msgActive || c.inFrame || (c.deflate != nil && c.deflate.fr != nil)
}

// discardMessage reads and drops the rest of the current message,
// validating it as it goes.
func (c *Conn) discardMessage() error {
	if x := c.extra.Load(); x != nil {
		x.mr.active = false
	}
	var scratch [512]byte
	if c.compressed {
		// The rest goes through the decompressor, whose window the next
		// message may refer to.
		for {
			if _, err := c.inflateStream(scratch[:]); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
		}
	}
	for c.msgActive || c.inFrame {
		if c.remaining == 0 && !c.inFrame {
			if err := c.nextFrame(); err != nil {
				return err
			}
			continue
		}
		if _, err := c.readPayload(scratch[:]); err != nil {
			return err
		}
	}
	return nil
}

// nextFrame reads frame headers until the next data frame, handling
// control frames on the way. On return, hdr holds the data frame and its
// payload is ready for readPayload.
func (c *Conn) nextFrame() error {
	for {
		var n int
		var err error
		if c.rbuf != nil {
			n, err = parseHeader(c.rbuf.b[c.r:c.w], &c.hdr)
		}
		if err != nil {
			return c.fail(StatusProtocolError, err.Error())
		}
		if n == 0 {
			if err := c.fill(); err != nil {
				return err
			}
			continue
		}
		h := &c.hdr
		if err := c.checkHeader(h); err != nil {
			return err
		}
		if !h.op.isControl() {
			// Payloads that fill a small buffer but of which several fit
			// a big one are read in big chunks; larger ones go straight
			// to their place (readPayload).
			c.bigReads = c.nonblocking && h.length >= readBufferSize && h.length <= bigReadBufferSize/2
		}
		if h.op.isControl() {
			total := n + int(h.length)
			if c.w-c.r < total {
				if err := c.fill(); err != nil {
					return err
				}
				continue
			}
			// Unmasked in place: the payload is handled before the
			// buffer is read again.
			payload := c.rbuf.b[c.r+n : c.r+total : c.r+total]
			c.r += total
			if h.masked {
				mask(h.maskKey, 0, payload)
			}
			if err := c.handleControl(h.op, payload); err != nil {
				return err
			}
			continue
		}
		c.r += n
		if h.op != opContinuation {
			c.msgActive = true
			c.msgType = MessageType(h.op)
			c.msgRead = 0
			c.utf8 = utf8Validator{}
			c.compressed = h.rsv&bitRsv1 != 0
			c.inflated = 0
		}
		if c.msgRead+h.length > c.readLimit.Load() {
			return c.fail(StatusMessageTooBig, "message exceeds the read limit of "+itoa64(c.readLimit.Load())+" bytes")
		}
		c.inFrame = true
		c.remaining = h.length
		c.maskPos = 0
		if h.length == 0 {
			return c.endFrame()
		}
		return nil
	}
}

// checkHeader enforces the rules of RFC 6455, section 5, that depend on
// the connection's state.
func (c *Conn) checkHeader(h *header) error {
	if h.rsv != 0 {
		// RFC 7692, section 6: with permessage-deflate, RSV1 marks the
		// first frame of a compressed message, and nothing else.
		compressedStart := h.rsv == bitRsv1 && c.deflate != nil && (h.op == opText || h.op == opBinary)
		if !compressedStart {
			return c.fail(StatusProtocolError, "reserved bits set without a negotiated extension")
		}
	}
	if h.masked == c.client {
		if c.client {
			return c.fail(StatusProtocolError, "server frames must not be masked")
		}
		return c.fail(StatusProtocolError, "client frames must be masked")
	}
	switch h.op {
	case opContinuation:
		if !c.msgActive {
			return c.fail(StatusProtocolError, "continuation frame without a message to continue")
		}
	case opText, opBinary:
		if c.msgActive {
			return c.fail(StatusProtocolError, "new message started before the previous one finished")
		}
	case opClose, opPing, opPong:
		if !h.fin {
			return c.fail(StatusProtocolError, "fragmented control frame")
		}
		if h.length > maxControlPayload {
			return c.fail(StatusProtocolError, "control frame payload longer than 125 bytes")
		}
	default:
		return c.fail(StatusProtocolError, "unknown opcode "+itoa64(int64(h.op)))
	}
	return nil
}

// readPayload reads up to len(p) bytes of the current frame's payload
// into p, unmasking and validating them.
func (c *Conn) readPayload(p []byte) (int, error) {
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	if len(p) == 0 {
		if c.remaining == 0 && c.inFrame {
			return 0, c.endFrame()
		}
		return 0, nil
	}
	var n int
	switch {
	case c.rbuf != nil && c.r < c.w:
		n = copy(p, c.rbuf.b[c.r:c.w])
		c.r += n
	case len(p) >= readBufferSize && !c.bigReads:
		// Large payloads go straight from the socket to their place.
		c.beforeWait()
		c.releaseReadBuf()
		var err error
		if c.nonblocking {
			n, err = c.readNow(p)
		} else {
			n, err = c.netConn.Read(p)
		}
		if n == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			return 0, err
		}
	default:
		if err := c.fill(); err != nil {
			return 0, err
		}
		n = copy(p, c.rbuf.b[c.r:c.w])
		c.r += n
	}
	if err := c.consumePayload(p[:n]); err != nil {
		return 0, err
	}
	if c.remaining == 0 {
		return n, c.endFrame()
	}
	return n, nil
}

// consumePayload unmasks and validates p, the next bytes of the current
// frame's payload, and accounts for them.
func (c *Conn) consumePayload(p []byte) error {
	if c.hdr.masked {
		c.maskPos = mask(c.hdr.maskKey, c.maskPos, p)
	}
	c.remaining -= int64(len(p))
	c.msgRead += int64(len(p))
	if c.msgType == MessageText && !c.compressed && !c.utf8.write(p) {
		return c.fail(StatusInvalidFramePayloadData, "invalid UTF-8 in text message")
	}
	return nil
}

// endFrame finishes the current data frame and, after the last frame of
// a message, the message.
func (c *Conn) endFrame() error {
	c.inFrame = false
	if !c.hdr.fin {
		return nil
	}
	c.msgActive = false
	if c.msgType == MessageText && !c.compressed && !c.utf8.complete() {
		return c.fail(StatusInvalidFramePayloadData, "text message ends inside a UTF-8 sequence")
	}
	return nil
}

// fill reads more bytes from the connection into rbuf.
func (c *Conn) fill() error {
	c.beforeWait()
	if c.nonblocking {
		return c.fillNow()
	}
	switch {
	case c.rbuf == nil:
		if c.raw != nil {
			return c.fillRaw()
		}
		c.rbuf = readBufPool.Get().(*buffer)
		c.r, c.w = 0, 0
	case c.r == c.w:
		c.r, c.w = 0, 0
	case c.w == len(c.rbuf.b):
		c.w = copy(c.rbuf.b, c.rbuf.b[c.r:c.w])
		c.r = 0
	}
	n, err := c.netConn.Read(c.rbuf.b[c.w:])
	c.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// fillRaw waits until the socket is readable and only then takes a read
// buffer, so that a connection waiting for data holds none.
func (c *Conn) fillRaw() error {
	r := getRawReader()
	err := c.raw.Read(r.waitFn)
	if err == nil {
		err = r.err
	}
	if err == nil {
		c.rbuf, c.r, c.w = r.buf, 0, r.n
	}
	putRawReader(r)
	return err
}

// fillNow reads what the socket holds into rbuf without waiting, for
// connections served by the poller; it returns errWouldBlock when there
// is nothing, and then holds no buffer it did not hold before.
func (c *Conn) fillNow() error {
	switch {
	case c.rbuf == nil:
		c.rbuf = c.getReadBuf()
		c.r, c.w = 0, 0
	case c.r == c.w:
		if c.bigReads != (len(c.rbuf.b) == bigReadBufferSize) {
			c.releaseReadBuf()
			c.rbuf = c.getReadBuf()
		}
		c.r, c.w = 0, 0
	case c.w == len(c.rbuf.b):
		c.w = copy(c.rbuf.b, c.rbuf.b[c.r:c.w])
		c.r = 0
	}
	n, err := c.readNow(c.rbuf.b[c.w:])
	c.w += n
	if err != nil {
		c.releaseReadBuf()
	}
	return err
}

// readNow reads what the socket holds into p without waiting, for
// connections served by the poller; it returns errWouldBlock when there
// is nothing.
//
// A read that returned less than it asked for emptied the socket: the
// next one would most likely find nothing, so readNow answers
// errWouldBlock without a system call until the poller reports the socket
// readable again (it does at once when bytes came in between, since
// re-arming a one-shot registration checks readiness).
func (c *Conn) readNow(p []byte) (int, error) {
	if c.drained {
		return 0, errWouldBlock
	}
	r := getRawReader()
	r.p = p
	err := c.raw.Read(r.tryFn)
	n := r.n
	if err == nil {
		err = r.err
	}
	putRawReader(r)
	if err != nil {
		return 0, err
	}
	c.drained = n < len(p)
	return n, nil
}

// getReadBuf returns a read buffer of the size the connection's traffic
// calls for.
func (c *Conn) getReadBuf() *buffer {
	if c.bigReads {
		return bigReadBufPool.Get().(*buffer)
	}
	return readBufPool.Get().(*buffer)
}

// releaseReadBuf returns rbuf to the pool when it holds no unread bytes.
func (c *Conn) releaseReadBuf() {
	if c.rbuf != nil && c.r == c.w {
		switch len(c.rbuf.b) {
		case readBufferSize:
			readBufPool.Put(c.rbuf)
		case bigReadBufferSize:
			bigReadBufPool.Put(c.rbuf)
		}
		c.rbuf = nil
		c.r, c.w = 0, 0
	}
}

// releaseMsgBuf returns the previous message's buffer to its pool.
func (c *Conn) releaseMsgBuf() {
	if c.msgBuf != nil {
		putMsgBuf(c.msgBuf)
		c.msgBuf = nil
	}
}

// beginRead takes the read lock and applies ctx to reads, or returns
// why reading cannot start; on success the caller must unlockRead.
func (c *Conn) beginRead(ctx context.Context) error {
	if err := c.lockRead(ctx); err != nil {
		return err
	}
	err := c.readErr
	if err == nil {
		err = c.readWatch.apply(ctx)
	}
	if err != nil {
		c.unlockRead()
	}
	return err
}

// lockRead takes the read lock, or gives up when ctx ends.
func (c *Conn) lockRead(ctx context.Context) error { return c.readLock.lock(ctx, nil) }

func (c *Conn) unlockRead() { c.readLock.unlock() }

// readError turns an error of the read path into what the caller sees,
// and makes it sticky unless the connection can go on.
func (c *Conn) readError(ctx context.Context, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if ctxErr := contextError(ctx); ctxErr != nil {
			return ctxErr
		}
		if !c.isClosed() {
			return err
		}
	}
	if c.readErr != nil {
		return c.readErr
	}
	if c.hasEnded(endPongTimedOut) {
		err = ErrPongTimeout
	} else if c.isClosed() {
		err = ErrClosed
	} else if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	// The connection is gone: reading without a close frame means an
	// abnormal closure (status 1006) for whoever waits for one.
	c.readErr = err
	c.closeNetConn()
	return err
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
