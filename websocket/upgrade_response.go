package websocket

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// upgradeResponse is the http.ResponseWriter of a request that Serve
// reads itself. Accept takes its connection over without buffers; a
// handler that answers instead gets its response written, with the
// connection closed after it, when it returns.
type upgradeResponse struct {
	conn     net.Conn
	srv      *http.Server
	header   http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
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
	return w.body.Write(p)
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
		if h.Get("Content-Type") == "" && w.body.Len() > 0 {
			h.Set("Content-Type", http.DetectContentType(w.body.Bytes()))
		}
		h.Set("Content-Length", strconv.Itoa(w.body.Len()))
	} else {
		w.body.Reset()
	}
	var out bytes.Buffer
	out.WriteString("HTTP/1.1 " + strconv.Itoa(w.status) + " " + http.StatusText(w.status) + "\r\n")
	h.Write(&out)
	out.WriteString("\r\n")
	out.Write(w.body.Bytes())
	if w.srv.WriteTimeout > 0 {
		w.conn.SetWriteDeadline(time.Now().Add(w.srv.WriteTimeout))
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
	if w.srv.ConnState != nil {
		w.srv.ConnState(w.conn, s)
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
