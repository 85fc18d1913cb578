package websocket

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// MessageType is the type of a data message (RFC 6455, section 5.6).
type MessageType int

// Message types.
const (
	MessageText   MessageType = MessageType(opText)
	MessageBinary MessageType = MessageType(opBinary)
)

func (t MessageType) String() string {
	switch t {
	case MessageText:
		return "text"
	case MessageBinary:
		return "binary"
	}
	return "MessageType(" + strconv.Itoa(int(t)) + ")"
}

// State is the state of a connection, as the browser's WebSocket.readyState
// reports it.
type State int32

// Connection states.
const (
	StateConnecting State = iota // the opening handshake is under way
	StateOpen                    // messages may be sent and received
	StateClosing                 // a close frame was sent or received
	StateClosed                  // the TCP connection is closed
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateOpen:
		return "open"
	case StateClosing:
		return "closing"
	case StateClosed:
		return "closed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// DefaultReadLimit is the largest message a connection accepts unless
// SetReadLimit or the options say otherwise.
const DefaultReadLimit = 16 << 20

// closeTimeout bounds every wait of the closing handshake: for the
// peer's close frame, and for writing our own.
const closeTimeout = 5 * time.Second

// controlWriteTimeout bounds writes of control frames that this side
// sends on its own (pongs, keep-alive pings, close frames).
const controlWriteTimeout = 5 * time.Second

// A Conn is a WebSocket connection, from Accept or Dial.
//
// Write, Writer, Ping, Close, CloseNow and the accessors are safe to call
// from any number of goroutines at once. Reading (Read, Reader and the
// io.Reader it returns) is for one goroutine at a time; concurrent
// readers wait for each other.
type Conn struct {
	// Immutable after the handshake.
	netConn     net.Conn
	raw         syscall.RawConn // non-nil where reads can wait for readiness without a buffer
	subprotocol string
	deflate     *deflateState // nil unless permessage-deflate was negotiated

	state     atomic.Int32 // a State
	writev    bool         // netConn writes net.Buffers in one system call; immutable
	client    bool         // immutable
	buffered  atomic.Int64 // bytes accepted by writes, not yet written
	readLimit atomic.Int64

	// Read side: guarded by readLock, a one-slot semaphore. The small
	// fields come last, packed together.
	readLock  ctxLock
	rbuf      *buffer // nil while no bytes are waiting
	r, w      int     // unread bytes are rbuf.b[r:w]
	hdr       header  // the current frame's header
	remaining int64   // payload bytes of the current frame still to read
	maskPos   int     // position in hdr.maskKey of the next payload byte
	msgType   MessageType
	msgRead   int64   // payload bytes of the current message read so far
	inflated  int64   // decompressed bytes of the current message so far
	msgBuf    *buffer // Read's message; valid until the next read
	readErr   error   // sticky; every read returns it once set
	readWatch ctxWatch
	onMessage func(c *Conn, typ MessageType, p []byte)
	onClose   func(c *Conn, err error)
	pollFD    int32
	pollGen   int32 // tells this connection's poller events from stale ones

	inFrame     bool // hdr is a data frame whose payload is not all read
	msgActive   bool // a data message has started and not finished
	compressed  bool // the current message is compressed (RSV1)
	utf8        utf8Validator
	assembling  bool // Read was interrupted while assembling msgBuf
	drained     bool // readNow's last read found the socket emptied
	bigReads    bool // served, and the last data frame was large: read in big chunks
	nonblocking bool // served by the poller: reads never wait (serve.go)

	// Write side: msgLock is held for a whole data message, frameLock
	// for each frame, so control frames may go between the fragments
	// of a message but two messages never interleave.
	msgLock    ctxLock
	frameLock  ctxLock
	writeErr   error // guarded by frameLock; sticky
	closeSent  bool  // guarded by frameLock
	batching   bool  // WriteMessages queues every small frame; guarded by frameLock
	hdrBuf     [maxHeaderSize]byte
	writeWatch ctxWatch // guarded by frameLock

	// Coalescing of small frames (coalesce.go).
	burst       atomic.Bool // the reader has more received bytes waiting
	pendFlag    atomic.Bool // pend is not empty and a flush is armed
	pend        *buffer     // queued frames; guarded by frameLock
	pendPayload int64       // payload bytes in pend; guarded by frameLock
	pendBytes   atomic.Int64
	flushTimer  *time.Timer // guarded by frameLock

	// Closing.
	closeOnce sync.Once
	ended     atomic.Uint32 // the end* flags of the steps taken
	closed    event         // netConn is closed
	closeRcvd event         // the peer's close frame arrived or reading ended

	extra atomic.Pointer[connExtras] // made on first use; see extras
}

// Flags of Conn.ended: steps of a connection's end, each taken once.
const (
	endCloseRcvd    uint32 = 1 << iota // closeRcvd fired or is about to
	endPeerClose                       // and the peer's close frame had come
	endServe                           // onClose was called or is being called
	endPongTimedOut                    // the keep-alive closed the connection
)

// setEnded sets flag f in c.ended and reports whether this call set it.
func (c *Conn) setEnded(f uint32) bool { return c.ended.Or(f)&f == 0 }

// hasEnded reports whether flag f is set in c.ended.
func (c *Conn) hasEnded(f uint32) bool { return c.ended.Load()&f != 0 }

// connConfig holds what Accept and Dial pass to newConn.
type connConfig struct {
	client       bool
	subprotocol  string
	deflate      *deflateState
	readLimit    int64
	queueLimit   int
	pingInterval time.Duration
	pongTimeout  time.Duration
	buffered     []byte // bytes read during the handshake that belong to the connection
}

func newConn(nc net.Conn, cfg connConfig) *Conn {
	c := &Conn{
		netConn:     nc,
		client:      cfg.client,
		subprotocol: cfg.subprotocol,
		deflate:     cfg.deflate,
	}
	if c.deflate != nil {
		c.deflate.stream.c = c
		c.deflate.conn = c
	}
	c.readWatch.c = c
	c.writeWatch.c, c.writeWatch.write = c, true
	limit := cfg.readLimit
	if limit <= 0 {
		limit = DefaultReadLimit
	}
	c.readLimit.Store(limit)
	if cfg.queueLimit > 0 {
		// Only Enqueue reads the limit, and it makes the extras anyway.
		c.extras().queue.limit = cfg.queueLimit
	}
	switch nc := nc.(type) {
	case *net.TCPConn:
		c.writev = true
		if raw, err := nc.SyscallConn(); err == nil && rawReads {
			c.raw = raw
		}
	case *net.UnixConn:
		c.writev = true
		if raw, err := nc.SyscallConn(); err == nil && rawReads {
			c.raw = raw
		}
	}
	if len(cfg.buffered) > 0 {
		if len(cfg.buffered) <= readBufferSize/2 {
			c.rbuf = readBufPool.Get().(*buffer)
		} else {
			c.rbuf = &buffer{b: make([]byte, len(cfg.buffered)+readBufferSize)}
		}
		c.w = copy(c.rbuf.b, cfg.buffered)
	}
	c.state.Store(int32(StateOpen))
	if cfg.pingInterval > 0 {
		c.startKeepAlive(cfg.pingInterval, cfg.pongTimeout)
	}
	return c
}

// State reports the connection's state.
func (c *Conn) State() State { return State(c.state.Load()) }

// BufferedAmount returns the number of bytes that writes have accepted
// but not yet handed to the operating system.
func (c *Conn) BufferedAmount() int { return int(c.buffered.Load() + c.pendBytes.Load()) }

// Subprotocol returns the subprotocol chosen in the opening handshake,
// or "" when none was.
func (c *Conn) Subprotocol() string { return c.subprotocol }

// Extensions returns the extensions negotiated in the opening handshake,
// as the Sec-WebSocket-Extensions header carried them, or "".
func (c *Conn) Extensions() string {
	if c.deflate == nil {
		return ""
	}
	return c.deflate.extensions
}

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.netConn.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr { return c.netConn.RemoteAddr() }

// SetReadLimit sets the largest message, in bytes, that reads accept. A
// larger message fails the connection with StatusMessageTooBig. It may be
// called at any time and applies from the next frame on.
func (c *Conn) SetReadLimit(n int64) { c.readLimit.Store(n) }

// SetPingHandler sets a function called with the payload of each ping
// received, after the automatic pong has been sent. It runs on the
// reading goroutine and must not block; the payload is valid only during
// the call. nil removes it. Call it before reading starts.
func (c *Conn) SetPingHandler(f func(payload []byte)) { c.extras().onPing = f }

// SetPongHandler sets a function called with the payload of each pong
// received. It runs on the reading goroutine and must not block; the
// payload is valid only during the call. nil removes it. Call it before
// reading starts.
func (c *Conn) SetPongHandler(f func(payload []byte)) { c.extras().onPong = f }

// setState moves the state forward; it never goes back.
func (c *Conn) setState(s State) {
	for {
		old := c.state.Load()
		if old >= int32(s) || c.state.CompareAndSwap(old, int32(s)) {
			return
		}
	}
}

// closeNetConn closes the TCP connection once.
func (c *Conn) closeNetConn() {
	c.closeOnce.Do(func() {
		c.netConn.Close()
		c.closed.fire()
		c.readWatch.unregister()
		c.writeWatch.unregister()
		if c.deflate != nil && c.deflate.writeTakeover {
			forgetCompressor(c)
		}
		c.setState(StateClosed)
		c.signalCloseRcvd(nil)
		c.burst.Store(false)
		if c.nonblocking {
			pollerRemove(c)
		}
		if x := c.extra.Load(); x != nil {
			if x.keepAlive != nil {
				x.keepAlive.stop()
			}
			// Nobody reads any more, so nobody will answer the pending pings.
			x.pingMu.Lock()
			for k, ch := range x.pings {
				close(ch)
				delete(x.pings, k)
			}
			x.pingMu.Unlock()
		}
	})
}

// isClosed reports whether the TCP connection is closed.
func (c *Conn) isClosed() bool {
	return c.closed.fired()
}

// signalCloseRcvd records the peer's close frame (nil when reading ended
// without one) and wakes those waiting for it.
func (c *Conn) signalCloseRcvd(ce *CloseError) {
	f := endCloseRcvd
	if ce != nil {
		f |= endPeerClose
	}
	// One step, so that whoever sees endCloseRcvd knows endPeerClose too.
	for {
		old := c.ended.Load()
		if old&endCloseRcvd != 0 {
			return
		}
		if c.ended.CompareAndSwap(old, old|f) {
			break
		}
	}
	c.closeRcvd.fire()
}
