package bench

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// websocketGUID is the GUID of RFC 6455, section 1.3.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// DiscardConn is an in-memory net.Conn that plays the server side of the
// opening handshake (RFC 6455, section 4.2.2) and then discards every byte
// written to it, keeping only the first Keep bytes for inspection. Reads
// after the handshake response block until the deadline or Close.
type DiscardConn struct {
	// Keep is how many bytes written after the handshake are kept; set it
	// before the first write.
	Keep int

	upgraded atomic.Bool  // set once the handshake response is ready
	written  atomic.Int64 // bytes written after the handshake

	mu       sync.Mutex    // guards the fields below
	request  bytes.Buffer  // handshake request bytes so far
	response []byte        // unread part of the handshake response
	kept     []byte        // first Keep bytes written after the handshake
	deadline time.Time     // read deadline
	wake     chan struct{} // closed and replaced when readers should look again
	closed   bool
}

// NewDiscardConn returns a fresh DiscardConn.
func NewDiscardConn() *DiscardConn {
	return &DiscardConn{wake: make(chan struct{})}
}

// wakeLocked wakes blocked readers. c.mu must be held.
func (c *DiscardConn) wakeLocked() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// Written returns how many bytes were written after the handshake.
func (c *DiscardConn) Written() int64 { return c.written.Load() }

// Kept returns a copy of the first Keep bytes written after the handshake.
func (c *DiscardConn) Kept() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.kept...)
}

// Write discards p once the handshake is done; before that it collects the
// request and, when the request is complete, prepares the response.
func (c *DiscardConn) Write(p []byte) (int, error) {
	if c.upgraded.Load() && c.Keep == 0 {
		c.written.Add(int64(len(p)))
		return len(p), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.upgraded.Load() {
		if room := c.Keep - len(c.kept); room > 0 {
			c.kept = append(c.kept, p[:min(room, len(p))]...)
		}
		c.written.Add(int64(len(p)))
		return len(p), nil
	}
	c.request.Write(p)
	end := bytes.Index(c.request.Bytes(), []byte("\r\n\r\n"))
	if end < 0 {
		return len(p), nil
	}
	// Anything after the request belongs to the first frames.
	extra := c.request.Bytes()[end+4:]
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(c.request.Bytes()[:end+4])))
	if err != nil {
		return 0, err
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	if key == "" {
		return 0, errors.New("bench: handshake request without Sec-WebSocket-Key")
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	c.response = []byte("HTTP/1.1 101 Switching Protocols\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n")
	if len(extra) > 0 {
		c.kept = append(c.kept, extra[:min(c.Keep, len(extra))]...)
		c.written.Add(int64(len(extra)))
	}
	c.upgraded.Store(true)
	c.wakeLocked()
	return len(p), nil
}

// Read returns the handshake response once the request is complete, and
// then blocks until the read deadline or Close.
func (c *DiscardConn) Read(p []byte) (int, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, net.ErrClosed
		}
		if len(c.response) > 0 {
			n := copy(p, c.response)
			c.response = c.response[n:]
			c.mu.Unlock()
			return n, nil
		}
		deadline, wake := c.deadline, c.wake
		c.mu.Unlock()
		if deadline.IsZero() {
			<-wake
			continue
		}
		d := time.Until(deadline)
		if d <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		select {
		case <-wake:
			t.Stop()
		case <-t.C:
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// Close wakes blocked readers; later reads and writes fail.
func (c *DiscardConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	c.wakeLocked()
	return nil
}

// discardAddr is the address both ends of a DiscardConn report.
type discardAddr struct{}

func (discardAddr) Network() string { return "memory" }
func (discardAddr) String() string  { return "discard" }

// LocalAddr returns a placeholder address.
func (c *DiscardConn) LocalAddr() net.Addr { return discardAddr{} }

// RemoteAddr returns a placeholder address.
func (c *DiscardConn) RemoteAddr() net.Addr { return discardAddr{} }

// SetDeadline sets the read deadline; writes never block.
func (c *DiscardConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline sets the read deadline and wakes blocked readers.
func (c *DiscardConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	c.wakeLocked()
	return nil
}

// SetWriteDeadline does nothing: writes never block.
func (c *DiscardConn) SetWriteDeadline(time.Time) error { return nil }
