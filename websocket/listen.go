package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// headBufferSize bounds the request head that ServeListener reads itself;
// a longer one goes to net/http, which has no such bound.
const headBufferSize = 4096

// errNoPeek says that a connection cannot be looked at without reading
// it: it is not a socket of the runtime's poller, or peekHead is not
// available here.
var errNoPeek = errors.New("websocket: connection cannot be peeked")

// headBuffers holds *headBuffer.
var headBuffers = sync.Pool{New: func() any { return newHeadBuffer() }}

// ServeListener is srv.Serve(ln), except that it reads the first request
// of each connection itself when that request is a WebSocket opening
// handshake, and calls srv.Handler with it. net/http gives every
// connection a reader and a writer of 4 KiB each, which a connection that
// upgrades never hands back; ServeListener gives such a connection
// neither, and parses its request into a few allocations. A server that
// holds many WebSocket clients, each one connected once, so keeps a
// fraction of the garbage per connection, and the heap that the garbage
// collector lets grow after a burst of connections is smaller for it.
//
// The handler sees the request as net/http would make it (method, URL,
// header without Host, Host, RemoteAddr, RequestURI, a context canceled
// when the handler returns that holds http.ServerContextKey and
// http.LocalAddrContextKey) and a ResponseWriter that Accept takes over
// without copying and that http.NewResponseController can hijack. A
// handler that answers instead (refusing the handshake, say) gets its
// response written with "Connection: close" when it returns.
//
// Every other connection goes to srv exactly as it came, no byte of it
// read, so srv's limits, timeouts, hooks and HTTP/2 apply to it: TLS
// connections, requests that are not a GET upgrading to WebSocket, heads
// that are longer than 4 KiB, not yet whole when they first arrive,
// or in any form but the plain one (origin-form target, HTTP/1.1, CRLF
// line ends, one Host, no folded line, no body). On systems other than
// Linux every connection goes to srv.
//
// srv.ReadHeaderTimeout, or else srv.ReadTimeout, bounds the wait for the
// first request; a connection that sends nothing within it is closed.
// srv.Shutdown and srv.Close stop ServeListener, which returns
// http.ErrServerClosed; like hijacked connections, the connections it
// handed to WebSocket are not theirs to close.
func ServeListener(srv *http.Server, ln net.Listener) error {
	l := &upgradeListener{
		ln:    ln,
		srv:   srv,
		conns: make(chan net.Conn),
		errc:  make(chan error),
		done:  make(chan struct{}),
	}
	base := context.Background()
	if srv.BaseContext != nil {
		base = srv.BaseContext(l)
	}
	l.base = context.WithValue(base, http.ServerContextKey, srv)
	go l.acceptLoop()
	return srv.Serve(l)
}

// upgradeListener is the listener that srv serves in ServeListener: it
// hands srv the connections that ServeListener does not answer itself.
type upgradeListener struct {
	ln    net.Listener
	srv   *http.Server
	base  context.Context // srv.BaseContext's, with http.ServerContextKey
	conns chan net.Conn   // for srv
	errc  chan error      // ln's Accept errors, for srv
	done  chan struct{}   // closed by Close
	once  sync.Once
}

// Accept returns the next connection for srv.
func (l *upgradeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errc:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close closes the listener.
func (l *upgradeListener) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		close(l.done)
		err = l.ln.Close()
	})
	return err
}

// Addr returns the listener's address.
func (l *upgradeListener) Addr() net.Addr { return l.ln.Addr() }

// acceptLoop accepts connections and looks at each in a goroutine of its
// own. An error goes to srv, which waits and tries again after a
// temporary one, as it does with any listener; this loop waits for srv
// to take the error, so it follows the same pace.
func (l *upgradeListener) acceptLoop() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			select {
			case l.errc <- err:
			case <-l.done:
				return
			}
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				continue
			}
			return
		}
		go l.serveConn(c)
	}
}

// handOff gives c to srv.
func (l *upgradeListener) handOff(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

// serveConn answers c's first request when it is a WebSocket handshake
// ServeListener can read itself, and hands c to srv otherwise.
func (l *upgradeListener) serveConn(c net.Conn) {
	if _, ok := c.(*tls.Conn); ok {
		l.handOff(c)
		return
	}
	timeout := l.srv.ReadHeaderTimeout
	if timeout <= 0 {
		timeout = l.srv.ReadTimeout
	}
	if timeout > 0 {
		c.SetReadDeadline(time.Now().Add(timeout))
	}
	// r stays on the stack: serve copies it once, into the request with
	// its context. It holds nothing of hb.
	var r http.Request
	hb := headBuffers.Get().(*headBuffer)
	ok, err := readUpgrade(c, hb, &r)
	headBuffers.Put(hb)
	if err != nil {
		// Nothing came in time, or the client left: srv would close c too.
		c.Close()
		return
	}
	if timeout > 0 {
		c.SetReadDeadline(time.Time{})
	}
	if !ok {
		l.handOff(c)
		return
	}
	l.serve(c, &r)
}

// headBuffer holds a request head while ServeListener reads it, and the
// state of peekHead.
type headBuffer struct {
	b [headBufferSize]byte
	peekState
}

// readUpgrade reads c's request head into r when it is one that
// parseUpgradeHead accepts. It returns false, having read nothing, when
// the head is another one or c cannot be peeked, and an error when c sent
// nothing in time or failed.
func readUpgrade(c net.Conn, hb *headBuffer, r *http.Request) (bool, error) {
	n, err := peekHead(c, hb)
	if err == errNoPeek || n == 0 && err == nil {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !parseUpgradeHead(hb.b[:n], r) {
		return false, nil
	}
	// Take the head off the socket; the bytes after it are the client's.
	if _, err := io.ReadFull(c, hb.b[:n]); err != nil {
		return false, err
	}
	r.RemoteAddr = remoteAddr(c)
	return true, nil
}

// remoteAddr is c.RemoteAddr().String(), made in one allocation for an
// IPv4 address, where net.TCPAddr's String takes three.
func remoteAddr(c net.Conn) string {
	a := c.RemoteAddr()
	if t, ok := a.(*net.TCPAddr); ok && t != nil && t.Zone == "" {
		if ip4 := t.IP.To4(); ip4 != nil {
			var b [len("255.255.255.255:65535")]byte
			s := netip.AddrFrom4([4]byte(ip4)).AppendTo(b[:0])
			s = append(s, ':')
			return string(strconv.AppendInt(s, int64(t.Port), 10))
		}
	}
	return a.String()
}

// serve calls the handler with r, the first request of c, as net/http's
// connection would.
func (l *upgradeListener) serve(c net.Conn, r *http.Request) {
	w := &upgradeResponse{conn: c, l: l}
	w.setState(http.StateNew)
	var ctx context.Context
	var cancel context.CancelFunc
	if l.srv.ConnContext == nil && l.base.Done() == nil {
		hc := (*handlerContext)(w)
		ctx, cancel = hc, hc.cancel
	} else {
		ctx = context.WithValue(l.base, http.LocalAddrContextKey, c.LocalAddr())
		if l.srv.ConnContext != nil {
			ctx = l.srv.ConnContext(ctx, c)
		}
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	req := r.WithContext(ctx)
	h := l.srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	w.setState(http.StateActive)
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				l.logf("http: panic serving %v: %v\n%s", req.RemoteAddr, v, buf)
			}
			if !w.hijacked {
				w.close()
			}
			return
		}
		w.finish()
	}()
	h.ServeHTTP(w, req)
}

// logf logs to the server's ErrorLog, or to the log package's logger.
func (l *upgradeListener) logf(format string, args ...any) {
	if l.srv.ErrorLog != nil {
		l.srv.ErrorLog.Printf(format, args...)
		return
	}
	log.Output(2, fmt.Sprintf(format, args...))
}
