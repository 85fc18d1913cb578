package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// gorillaLibrary is github.com/gorilla/websocket. Both sides read with
// NextReader into a reused buffer, the library's allocation-free read
// path (ReadMessage allocates a new slice for every message), and write
// with WriteMessage. Buffer sizes are the library's defaults: the
// upgrader reuses the HTTP server's buffers, the dialer uses 4 KiB.
// Compression is off, as it is by default.
var gorillaLibrary = Library{
	Name:        "gorilla",
	StartEcho:   startGorillaEcho,
	DialDiscard: dialGorillaDiscard,
}

// gorillaReadMessage reads the next message into buf, which it resets
// first, and returns the message type.
func gorillaReadMessage(c *websocket.Conn, buf *bytes.Buffer) (int, error) {
	typ, r, err := c.NextReader()
	if err != nil {
		return 0, err
	}
	buf.Reset()
	_, err = buf.ReadFrom(r)
	return typ, err
}

func startGorillaEcho(ctx context.Context) (EchoClient, error) {
	up := websocket.Upgrader{
		CheckOrigin: func(*http.Request) bool { return true },
	}
	srv, err := startEchoServer(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetReadLimit(ReadLimit)
		var buf bytes.Buffer
		for {
			typ, err := gorillaReadMessage(c, &buf)
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, buf.Bytes()); err != nil {
				return
			}
		}
	})
	if err != nil {
		return nil, err
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	c, _, err := d.DialContext(ctx, srv.URL(), nil)
	if err != nil {
		srv.Close()
		return nil, err
	}
	c.SetReadLimit(ReadLimit)
	return &gorillaEchoClient{c: c, srv: srv}, nil
}

type gorillaEchoClient struct {
	c   *websocket.Conn
	srv *echoServer
	buf bytes.Buffer
}

func (e *gorillaEchoClient) Echo(n int, msg []byte) ([]byte, error) {
	for i := 0; i < n; i++ {
		if err := e.c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			return nil, err
		}
		typ, err := gorillaReadMessage(e.c, &e.buf)
		if err != nil {
			return nil, err
		}
		if typ != websocket.BinaryMessage || e.buf.Len() != len(msg) {
			return nil, fmt.Errorf("gorilla: echo of %d bytes came back as type %d with %d bytes", len(msg), typ, e.buf.Len())
		}
	}
	return e.buf.Bytes(), nil
}

func (e *gorillaEchoClient) Close() error {
	deadline := time.Now().Add(5 * time.Second)
	_ = e.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline)
	// Wait for the server's close frame, as the closing handshake asks.
	_ = e.c.SetReadDeadline(deadline)
	for {
		if _, _, err := e.c.NextReader(); err != nil {
			break
		}
	}
	err := e.c.Close()
	if serr := e.srv.Close(); serr != nil {
		return serr
	}
	return err
}

func dialGorillaDiscard(ctx context.Context, conn *DiscardConn) (MessageWriter, error) {
	d := websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		NetDialContext: func(context.Context, string, string) (net.Conn, error) {
			return conn, nil
		},
	}
	c, _, err := d.DialContext(ctx, "ws://127.0.0.1/", nil)
	if err != nil {
		return nil, err
	}
	return gorillaWriter{c}, nil
}

type gorillaWriter struct{ c *websocket.Conn }

func (w gorillaWriter) WriteBinary(msg []byte) error {
	return w.c.WriteMessage(websocket.BinaryMessage, msg)
}

func (w gorillaWriter) Close() error { return w.c.Close() }
