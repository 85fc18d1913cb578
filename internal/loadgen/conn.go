package loadgen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// maxMessage bounds a message from the server (a frame or a fragmented
// message), so that a broken server cannot make the reader grow without
// end.
const maxMessage = 64 << 20

// closeWait is how long closing waits for the server's close frame.
const closeWait = 2 * time.Second

// errServerClosed wraps the close frame a server sent when the load
// generator did not ask for it.
type serverCloseError struct {
	code   int
	reason string
}

func (e *serverCloseError) Error() string {
	if e.code == 0 {
		return "server sent a close frame without a code"
	}
	return fmt.Sprintf("server closed the connection with %d %q", e.code, e.reason)
}

// wsConn is the client side of one WebSocket connection: a reader that
// parses frames from its own buffer, and writes of whole, pre-masked
// frames under a lock.
type wsConn struct {
	r   *run
	id  int
	nc  net.Conn
	key [4]byte // mask key of every frame of the connection

	wmu       sync.Mutex // guards writes to nc and closeSent
	closeSent bool

	closing atomic.Bool // the load generator began the closing handshake

	// Owned by the reading goroutine.
	buf        []byte // buf[start:end] holds unparsed input
	start, end int
	msg        []byte // a fragmented message being put together
	msgOp      byte
	inMsg      bool
	count      int64 // messages received during the measurement
	hist       *histogram
}

func newWSConn(r *run, id int, nc net.Conn, leftover []byte, bufSize int) *wsConn {
	c := &wsConn{r: r, id: id, nc: nc, hist: r.shard(id)}
	fillKey(&c.key)
	if bufSize < len(leftover) {
		bufSize = len(leftover)
	}
	c.buf = make([]byte, bufSize)
	c.end = copy(c.buf, leftover)
	return c
}

// write sends b, which holds whole frames.
func (c *wsConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(b)
	return err
}

// writeControl sends a control frame with payload p (at most 125 bytes).
func (c *wsConn) writeControl(op byte, p []byte) error {
	var b [2 + 4 + 125]byte
	n := putClientHeader(b[:], op, len(p), c.key)
	n += copy(b[n:], p)
	mask(b[n-len(p):n], c.key, 0)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return nil
	}
	if op == opClose {
		c.closeSent = true
	}
	_, err := c.nc.Write(b[:n])
	return err
}

// beginClose sends a normal close frame (1000) and bounds the wait for
// the server's answer.
func (c *wsConn) beginClose() {
	c.closing.Store(true)
	c.nc.SetDeadline(time.Now().Add(closeWait))
	c.writeControl(opClose, []byte{0x03, 0xe8})
}

// handler receives the data messages of a connection. message gets each
// whole message, batch is called after the messages of one read.
type handler interface {
	message(c *wsConn, op byte, p []byte, now int64)
	batch(c *wsConn)
}

// readLoop reads and parses frames until the connection ends. It returns
// nil when the connection ended because the load generator closed it.
func (c *wsConn) readLoop(h handler) error {
	var now int64
	for {
		for {
			f, err := parseFrame(c.buf[c.start:c.end])
			if err == errShortFrame {
				need := 14
				if f.hdrLen > 0 {
					need = f.hdrLen + f.payload
				}
				if need > maxMessage+14 {
					return protocolError(fmt.Sprintf("frame of %d bytes", f.payload))
				}
				if need > len(c.buf) {
					nb := make([]byte, max(need, 2*len(c.buf)))
					c.end = copy(nb, c.buf[c.start:c.end])
					c.start = 0
					c.buf = nb
				}
				break
			}
			if err != nil {
				return err
			}
			p := c.buf[c.start+f.hdrLen : c.start+f.hdrLen+f.payload]
			c.start += f.hdrLen + f.payload
			switch f.op {
			case opPing:
				if err := c.writeControl(opPong, p); err != nil {
					return c.ended(err)
				}
			case opPong:
			case opClose:
				return c.serverClose(p)
			case opText, opBinary:
				if c.inMsg {
					return protocolError("new message inside a fragmented one")
				}
				if f.fin {
					h.message(c, f.op, p, now)
					continue
				}
				c.inMsg, c.msgOp = true, f.op
				c.msg = append(c.msg[:0], p...)
			case opContinuation:
				if !c.inMsg {
					return protocolError("continuation frame without a message")
				}
				if len(c.msg)+len(p) > maxMessage {
					return protocolError("message too big")
				}
				c.msg = append(c.msg, p...)
				if f.fin {
					c.inMsg = false
					h.message(c, c.msgOp, c.msg, now)
				}
			}
		}
		h.batch(c)
		if c.start == c.end {
			c.start, c.end = 0, 0
		} else if c.start > 0 && len(c.buf)-c.end < len(c.buf)/2 {
			c.end = copy(c.buf, c.buf[c.start:c.end])
			c.start = 0
		}
		n, err := c.nc.Read(c.buf[c.end:])
		now = c.r.now()
		c.end += n
		if err != nil && n == 0 {
			return c.ended(err)
		}
	}
}

// ended classifies the error that ended reading.
func (c *wsConn) ended(err error) error {
	if c.closing.Load() {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return errors.New("server closed the TCP connection without a close frame")
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errors.New("no answer before the run's deadline")
	}
	return err
}

// serverClose handles a close frame: it answers one the server started
// (section 5.5.1) and reports it.
func (c *wsConn) serverClose(p []byte) error {
	if c.closing.Load() {
		return nil
	}
	e := &serverCloseError{}
	if len(p) >= 2 {
		e.code = int(binary.BigEndian.Uint16(p))
		e.reason = string(p[2:])
	}
	c.writeControl(opClose, p[:min(len(p), 2)])
	return e
}
