package websocket

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Write sends p as one message of type typ, in one frame. It returns once
// the frame is handed to the operating system, or with an error. Any
// number of goroutines may call Write (and Writer) at once; their
// messages are sent whole, one after another.
//
// One exception saves system calls: a small frame written while this
// connection has more received messages waiting for its reader (a server
// answering a burst of requests) is queued, and the queue leaves in one
// write when the reader has taken the burst and would wait for the
// network, or a millisecond later at the latest. BufferedAmount counts
// queued bytes; a failure to send them closes the connection.
//
// If ctx ends while the frame is partly written, the connection is closed
// and ErrWriteTimeout is returned: the peer could not find the next frame.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	if typ != MessageText && typ != MessageBinary {
		return errors.New("websocket: Write with invalid message type " + typ.String())
	}
	c.buffered.Add(int64(len(p)))
	defer c.buffered.Add(-int64(len(p)))
	if err := c.lockMsg(ctx); err != nil {
		return err
	}
	defer c.unlockMsg()
	return c.writeMessageLocked(ctx, opcode(typ), p)
}

// writeMessageLocked writes one message in one frame, compressed when
// that was negotiated; the message lock is held.
func (c *Conn) writeMessageLocked(ctx context.Context, op opcode, p []byte) error {
	d := c.deflate
	if d == nil || len(p) < d.threshold {
		return c.writeFrame(ctx, timeNone, true, 0, op, p)
	}
	payload, err := d.compress(p, false)
	if err == nil {
		err = c.writeFrame(ctx, timeNone, true, bitRsv1, op, payload)
	}
	d.sink.release()
	if err != nil && d.writeTakeover {
		// The compressor has moved on; the peer's decompressor has not.
		c.closeNetConn()
	}
	return err
}

// Writer returns a writer for one message of type typ. Each Write sends
// its bytes at once as a fragment of the message (compressed, when
// permessage-deflate was negotiated), so a message can be produced while
// it is sent; Close sends the final fragment. Until Close, other messages
// wait (control frames do not). ctx bounds the whole message. The writer
// must not be used after Close.
func (c *Conn) Writer(ctx context.Context, typ MessageType) (io.WriteCloser, error) {
	if typ != MessageText && typ != MessageBinary {
		return nil, errors.New("websocket: Writer with invalid message type " + typ.String())
	}
	if err := c.lockMsg(ctx); err != nil {
		return nil, err
	}
	mw := &c.extras().mw
	mw.ctx = ctx
	mw.op = opcode(typ)
	mw.first = true
	mw.open = true
	return mw, nil
}

// messageWriter is the io.WriteCloser that Writer returns; each Conn has
// one, guarded by msgLock.
type messageWriter struct {
	c     *Conn
	ctx   context.Context
	op    opcode // opText or opBinary for the first frame, then opContinuation
	first bool   // no frame sent yet
	open  bool
}

var errWriterClosed = errors.New("websocket: write to closed message writer")

// Write sends p as the next fragment of the message.
func (mw *messageWriter) Write(p []byte) (int, error) {
	if !mw.open {
		return 0, errWriterClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	c := mw.c
	c.buffered.Add(int64(len(p)))
	defer c.buffered.Add(-int64(len(p)))
	var err error
	if d := c.deflate; d != nil {
		var payload []byte
		payload, err = d.compress(p, true)
		if err == nil {
			err = c.writeFrame(mw.ctx, time.Time{}, false, mw.rsv(), mw.op, payload)
		}
		d.sink.release()
		if err != nil {
			c.closeNetConn()
		}
	} else {
		err = c.writeFrame(mw.ctx, time.Time{}, false, 0, mw.op, p)
	}
	if err != nil {
		return 0, err
	}
	mw.op = opContinuation
	mw.first = false
	return len(p), nil
}

// rsv returns the reserved bits of the next frame: RSV1 on the first
// frame of a compressed message (RFC 7692, section 6).
func (mw *messageWriter) rsv() byte {
	if mw.first && mw.c.deflate != nil {
		return bitRsv1
	}
	return 0
}

// Close sends the final fragment and lets other messages go.
func (mw *messageWriter) Close() error {
	if !mw.open {
		return errWriterClosed
	}
	mw.open = false
	c := mw.c
	if d := c.deflate; d != nil {
		// A compressed stream ends with the previous fragment, whose sync
		// marker was held back: the final frame is empty. (A message with
		// no fragment goes out empty and uncompressed.)
		d.endStream()
	}
	err := c.writeFrame(mw.ctx, time.Time{}, true, 0, mw.op, nil)
	mw.ctx = nil
	c.unlockMsg()
	return err
}

// writeControl sends a control frame on this side's own account, with a
// bounded deadline.
func (c *Conn) writeControl(op opcode, payload []byte) error {
	return c.writeFrame(context.Background(), time.Now().Add(controlWriteTimeout), true, 0, op, payload)
}

// writeFrame writes one frame with its header, in one system call where
// the payload allows. The deadline, when not zero, overrides ctx's.
func (c *Conn) writeFrame(ctx context.Context, deadline time.Time, fin bool, rsv byte, op opcode, p []byte) error {
	if err := c.beginFrame(ctx, deadline); err != nil {
		return err
	}
	defer c.unlockFrame()
	written, err := c.writeFrameLocked(fin, rsv, op, p)
	if err != nil {
		return c.frameError(ctx, written, err)
	}
	if op == opClose {
		c.closeSent = true
		c.setState(StateClosing)
	}
	return nil
}

// writeEncoded writes a frame that is already encoded.
func (c *Conn) writeEncoded(ctx context.Context, frame []byte) error {
	if err := c.beginFrame(ctx, time.Time{}); err != nil {
		return err
	}
	defer c.unlockFrame()
	if err := c.flushLocked(); err != nil {
		return err
	}
	if n, err := c.netConn.Write(frame); err != nil {
		return c.frameError(ctx, n, err)
	}
	return nil
}

// beginFrame takes the frame lock and applies the deadline, or ctx's
// deadline and cancellation. On success the caller must unlockFrame.
func (c *Conn) beginFrame(ctx context.Context, deadline time.Time) error {
	if err := c.lockFrame(ctx); err != nil {
		return err
	}
	err := c.writeErr
	switch {
	case err != nil:
	case c.closeSent:
		// Section 5.5.1: nothing follows a close frame.
		err = ErrClosed
	case !deadline.IsZero():
		c.writeWatch.setFixed(deadline)
	default:
		err = c.writeWatch.apply(ctx)
	}
	if err != nil {
		c.unlockFrame()
	}
	return err
}

// frameError handles a failed frame write, of which written bytes
// reached the socket; the frame lock is held.
func (c *Conn) frameError(ctx context.Context, written int, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) && written == 0 {
		// Nothing reached the socket: the connection is intact.
		if ctxErr := contextError(ctx); ctxErr != nil {
			return ctxErr
		}
		return err
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = ErrWriteTimeout
	}
	c.writeErr = err
	c.closeNetConn()
	return err
}

// timeNone is the zero time: no deadline of its own.
var timeNone time.Time

// maxMaskChunk is the most a client masks and writes in one system call.
const maxMaskChunk = 64 << 10

// writeFrameLocked builds and writes the frame; it returns how many bytes
// reached the socket.
func (c *Conn) writeFrameLocked(fin bool, rsv byte, op opcode, p []byte) (int, error) {
	var key [4]byte
	if c.client {
		// RFC 6455, section 5.3: a fresh, unpredictable key per frame.
		if _, err := rand.Read(key[:]); err != nil {
			return 0, err
		}
	}
	hdr := c.hdrBuf[:]
	hn := putHeader(hdr, fin, rsv, op, len(p), c.client, key)
	if op != opClose {
		if queued, err := c.queueFrameLocked(hdr[:hn], p, key); queued || err != nil {
			return 0, err
		}
	}
	// Frames queued before this one go first.
	if err := c.flushLocked(); err != nil {
		return 0, err
	}

	if !c.client && hn+len(p) > writeBufferSize && c.writev {
		// Large server frames: header and payload in one writev, no copy.
		v := frameVecsPool.Get().(*frameVecs)
		v.iov[0], v.iov[1] = hdr[:hn], p
		v.bufs = v.iov[:]
		n, err := v.bufs.WriteTo(c.netConn)
		*v = frameVecs{}
		frameVecsPool.Put(v)
		return int(n), err
	}

	var buf []byte
	if c.client && hn+len(p) > writeBufferSize {
		// Masking needs a copy; larger chunks mean fewer system calls.
		mb := getMsgBuf(min(hn+len(p), maxMaskChunk))
		defer putMsgBuf(mb)
		buf = mb.b[:cap(mb.b)]
	} else {
		wb := writeBufPool.Get().(*buffer)
		defer writeBufPool.Put(wb)
		buf = wb.b
	}
	copy(buf, hdr[:hn])
	off := hn
	total := 0
	pos := 0
	for {
		n := copy(buf[off:], p)
		if c.client {
			pos = mask(key, pos, buf[off:off+n])
		}
		p = p[n:]
		if !c.client && len(p) > 0 {
			// Unmasked remainder goes out without a copy.
			w, err := c.netConn.Write(buf[:off+n])
			total += w
			if err != nil {
				return total, err
			}
			w, err = c.netConn.Write(p)
			return total + w, err
		}
		w, err := c.netConn.Write(buf[:off+n])
		total += w
		if err != nil || len(p) == 0 {
			return total, err
		}
		off = 0
	}
}

// lockMsg takes the message lock, or gives up when ctx ends or the
// connection closes.
func (c *Conn) lockMsg(ctx context.Context) error { return lockError(c.msgLock.lock(ctx, &c.closed)) }

func (c *Conn) unlockMsg() { c.msgLock.unlock() }

// lockFrame takes the frame lock, or gives up when ctx ends or the
// connection closes.
func (c *Conn) lockFrame(ctx context.Context) error {
	return lockError(c.frameLock.lock(ctx, &c.closed))
}

func (c *Conn) unlockFrame() { c.frameLock.unlock() }

func lockError(err error) error {
	if err == errLockAborted {
		return ErrClosed
	}
	return err
}

// frameVecs holds the header and payload of a large frame for one
// writev. They come from a pool rather than the Conn, which they would
// make larger for every connection, idle ones included.
type frameVecs struct {
	iov  [2][]byte
	bufs net.Buffers
}

var frameVecsPool = sync.Pool{New: func() any { return new(frameVecs) }}
