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
// Compression is off, as it is by default, except in the compression
// benchmarks, where EnableCompression is set on both sides; the library
// supports only no context takeover, and compresses with the standard
// library's compress/flate.
var gorillaLibrary = Library{
	Name: "gorilla",
	StartEcho: func(ctx context.Context) (EchoClient, error) {
		c, _, err := startGorillaEcho(ctx, CompressionOff, nil)
		return c, err
	},
	DialDiscard:         dialGorillaDiscard,
	Modes:               []CompressionMode{CompressionOff, CompressionNoTakeover},
	StartCompressedEcho: startGorillaEcho,
	StartIdleServer:     startGorillaIdle,
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

// gorillaCompression reports whether mode asks for compression, and
// fails for a mode the library lacks.
func gorillaCompression(mode CompressionMode) (bool, error) {
	switch mode {
	case CompressionOff:
		return false, nil
	case CompressionNoTakeover:
		return true, nil
	}
	return false, fmt.Errorf("gorilla: compression mode %q not supported", mode)
}

func startGorillaEcho(ctx context.Context, mode CompressionMode, wrap func(net.Conn) net.Conn) (EchoClient, string, error) {
	compress, err := gorillaCompression(mode)
	if err != nil {
		return nil, "", err
	}
	up := websocket.Upgrader{
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: compress,
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
		return nil, "", err
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, EnableCompression: compress}
	if wrap != nil {
		d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			var nd net.Dialer
			c, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return wrap(c), nil
		}
	}
	c, resp, err := d.DialContext(ctx, srv.URL(), nil)
	if err != nil {
		srv.Close()
		return nil, "", err
	}
	c.SetReadLimit(ReadLimit)
	return &gorillaEchoClient{c: c, srv: srv}, resp.Header.Get("Sec-WebSocket-Extensions"), nil
}

// startGorillaIdle starts a server whose connections each read in a
// goroutine of their own with ReadMessage, the library's usual idiom for
// servers of many connections (its chat example).
func startGorillaIdle(mode CompressionMode) (*LoopServer, error) {
	compress, err := gorillaCompression(mode)
	if err != nil {
		return nil, err
	}
	up := &websocket.Upgrader{
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: compress,
	}
	return startLoopServer(func(w http.ResponseWriter, r *http.Request) func() {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return nil
		}
		return func() {
			defer c.Close()
			c.SetReadLimit(ReadLimit)
			for {
				typ, p, err := c.ReadMessage()
				if err != nil {
					return
				}
				if err := c.WriteMessage(typ, p); err != nil {
					return
				}
			}
		}
	})
}

type gorillaEchoClient struct {
	c   *websocket.Conn
	srv *echoServer
	buf bytes.Buffer
}

func (e *gorillaEchoClient) Echo(n int, msgs [][]byte) ([]byte, error) {
	for i := 0; i < n; i++ {
		msg := msgs[i%len(msgs)]
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
