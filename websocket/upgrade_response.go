package websocket

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// upgradeResponse is the http.ResponseWriter of a request that Serve
// reads itself. Accept takes its connection over without buffers; a
// handler that answers instead gets its response written, with the
// connection closed after it, when it returns.
//
// Seen as a *handlerContext, it is also the request's context, so that
// the two take one allocation.
type upgradeResponse struct {
	conn     net.Conn
	l        *upgradeListener
	header   http.Header
	body     []byte
	status   int
	hijacked bool

	// The context's state; see handlerContext.
	canceled bool
	mu       sync.Mutex
	done     chan struct{}        // made by Done
	after    map[*func()]struct{} // the functions of AfterFunc
}

// Header returns the header map of the response.
func (w *upgradeResponse) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
	}
	return w.header
}

// WriteHeader sets the status of the response, once. Interim (1xx)
// responses are not sent: the connection is closed after the response.
func (w *upgradeResponse) WriteHeader(status int) {
	if w.status == 0 && !w.hijacked && status >= 200 {
		w.status = status
	}
}

// Write adds p to the body, which goes out when the handler returns.
func (w *upgradeResponse) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, p...)
	return len(p), nil
}

// Hijack hands the connection to the caller, as net/http's does.
func (w *upgradeResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.status != 0 {
		return nil, nil, errors.New("websocket: hijack after the response was written")
	}
	c := w.takeOver()
	return c, bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c)), nil
}

// takeOver hands the connection to Accept, which needs no buffer.
func (w *upgradeResponse) takeOver() net.Conn {
	w.hijacked = true
	w.setState(http.StateHijacked)
	return w.conn
}

// finish writes the response the handler left, unless the connection was
// taken over, and closes the connection.
func (w *upgradeResponse) finish() {
	if w.hijacked {
		return
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if bodyAllowed(w.status) {
		if h.Get("Content-Type") == "" && len(w.body) > 0 {
			h.Set("Content-Type", http.DetectContentType(w.body))
		}
		h.Set("Content-Length", strconv.Itoa(len(w.body)))
	} else {
		w.body = nil
	}
	var out bytes.Buffer
	out.WriteString("HTTP/1.1 " + strconv.Itoa(w.status) + " " + http.StatusText(w.status) + "\r\n")
	h.Write(&out)
	out.WriteString("\r\n")
	out.Write(w.body)
	if t := w.l.srv.WriteTimeout; t > 0 {
		w.conn.SetWriteDeadline(time.Now().Add(t))
	}
	w.conn.Write(out.Bytes())
	w.close()
}

// close closes the connection the handler did not take over.
func (w *upgradeResponse) close() {
	w.conn.Close()
	w.setState(http.StateClosed)
}

// setState reports a state of the connection to the server's hook.
func (w *upgradeResponse) setState(s http.ConnState) {
	if f := w.l.srv.ConnState; f != nil {
		f(w.conn, s)
	}
}

// bodyAllowed reports whether a response with status may have a body
// (RFC 9110, section 6.4.1).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// unwrapUpgrade returns the upgradeResponse behind w, looking through
// the writers that wrap another and say so with Unwrap, as
// http.ResponseController does.
func unwrapUpgrade(w http.ResponseWriter) *upgradeResponse {
	for {
		switch t := w.(type) {
		case *upgradeResponse:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}

// handlerContext is an upgradeResponse seen as the context of its
// request: the context net/http would give it, with the local address,
// canceled when the handler returns, for a server whose base context is
// never canceled and that has no ConnContext. It takes no allocation of
// its own, where context.WithValue and context.WithCancel take three. It
// implements AfterFunc, so that the contexts derived from it wait for it
// without a goroutine each.
type handlerContext upgradeResponse

// closedChan is the Done channel of a context canceled before Done was
// called.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Deadline, Done, Err and Value make a handlerContext a context.Context.

func (c *handlerContext) Deadline() (time.Time, bool) { return c.l.base.Deadline() }

func (c *handlerContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		if c.canceled {
			return closedChan
		}
		c.done = make(chan struct{})
	}
	return c.done
}

func (c *handlerContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.canceled {
		return context.Canceled
	}
	return nil
}

func (c *handlerContext) Value(key any) any {
	if key == http.LocalAddrContextKey {
		return c.conn.LocalAddr()
	}
	return c.l.base.Value(key)
}

// AfterFunc arranges for f to run in a goroutine of its own once c is
// canceled, as context.AfterFunc does.
func (c *handlerContext) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.canceled {
		go f()
		return func() bool { return false }
	}
	if c.after == nil {
		c.after = make(map[*func()]struct{})
	}
	fp := &f
	c.after[fp] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.after[fp]
		delete(c.after, fp)
		return ok
	}
}

// cancel cancels c, which the handler's return does.
func (c *handlerContext) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.canceled {
		return
	}
	c.canceled = true
	if c.done != nil {
		close(c.done)
	}
	for fp := range c.after {
		go (*fp)()
	}
	c.after = nil
}
