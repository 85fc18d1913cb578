package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/lxzan/gws"
)

// gwsLibrary is github.com/lxzan/gws. The library delivers messages to a
// callback on its read loop and has no blocking read, so the client
// sends the next message from the callback that receives the echo, the
// way the library is meant to be used; no goroutine hand-off happens per
// round trip. Buffer sizes are the library's defaults (4 KiB read
// buffer), compression is off and parallel message handling is off, as
// they are by default. In the compression benchmarks PermessageDeflate is
// enabled on both sides with the context takeover of the mode and 15-bit
// windows in both directions (a gws server with context takeover would
// otherwise pick 12 bits), so that all libraries negotiate the same
// parameters.
var gwsLibrary = Library{
	Name: "gws",
	StartEcho: func(ctx context.Context) (EchoClient, error) {
		c, _, err := startGWSEcho(ctx, CompressionOff, nil)
		return c, err
	},
	DialDiscard:         dialGWSDiscard,
	Modes:               []CompressionMode{CompressionOff, CompressionTakeover, CompressionNoTakeover},
	StartCompressedEcho: startGWSEcho,
	StartIdleServer:     startGWSIdle,
}

// gwsCompression returns the permessage-deflate options of mode, for both
// the server and the client.
func gwsCompression(mode CompressionMode) gws.PermessageDeflate {
	switch mode {
	case CompressionTakeover:
		return gws.PermessageDeflate{
			Enabled:               true,
			ServerContextTakeover: true,
			ClientContextTakeover: true,
			ServerMaxWindowBits:   15,
			ClientMaxWindowBits:   15,
		}
	case CompressionNoTakeover:
		return gws.PermessageDeflate{
			Enabled:             true,
			ServerMaxWindowBits: 15,
			ClientMaxWindowBits: 15,
		}
	}
	return gws.PermessageDeflate{}
}

// gwsServerOption returns the server options of mode.
func gwsServerOption(mode CompressionMode) *gws.ServerOption {
	return &gws.ServerOption{
		ReadMaxPayloadSize:  ReadLimit,
		WriteMaxPayloadSize: ReadLimit,
		PermessageDeflate:   gwsCompression(mode),
	}
}

// gwsEchoServer echoes every message it receives.
type gwsEchoServer struct{ gws.BuiltinEventHandler }

func (gwsEchoServer) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	_ = c.WriteMessage(m.Opcode, m.Bytes())
}

func startGWSEcho(ctx context.Context, mode CompressionMode, wrap func(net.Conn) net.Conn) (EchoClient, string, error) {
	up := gws.NewUpgrader(gwsEchoServer{}, gwsServerOption(mode))
	srv, err := startEchoServer(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		c.ReadLoop()
	})
	if err != nil {
		return nil, "", err
	}
	e := &gwsEchoClient{
		srv:    srv,
		done:   make(chan error, 1),
		closed: make(chan struct{}),
	}
	option := &gws.ClientOption{
		Addr:                srv.URL(),
		ReadMaxPayloadSize:  ReadLimit,
		WriteMaxPayloadSize: ReadLimit,
		HandshakeTimeout:    10 * time.Second,
		PermessageDeflate:   gwsCompression(mode),
	}
	if deadline, ok := ctx.Deadline(); ok {
		option.HandshakeTimeout = time.Until(deadline)
	}
	var c *gws.Conn
	var resp *http.Response
	if wrap == nil {
		c, resp, err = gws.NewClient(e, option)
	} else {
		var d net.Dialer
		var nc net.Conn
		if nc, err = d.DialContext(ctx, "tcp", srv.ln.Addr().String()); err == nil {
			c, resp, err = gws.NewClientFromConn(e, option, wrap(nc))
			if err != nil {
				nc.Close()
			}
		}
	}
	if err != nil {
		srv.Close()
		return nil, "", err
	}
	e.c = c
	go func() {
		defer close(e.closed)
		c.ReadLoop()
	}()
	return e, resp.Header.Get("Sec-WebSocket-Extensions"), nil
}

// startGWSIdle starts a server whose connections each run the library's
// read loop in a goroutine of their own, as its documentation shows.
func startGWSIdle(mode CompressionMode) (*LoopServer, error) {
	up := gws.NewUpgrader(gwsEchoServer{}, gwsServerOption(mode))
	return startLoopServer(func(w http.ResponseWriter, r *http.Request) func() {
		c, err := up.Upgrade(w, r)
		if err != nil {
			return nil
		}
		return c.ReadLoop
	})
}

// gwsEchoClient runs the round trips from its OnMessage callback.
type gwsEchoClient struct {
	gws.BuiltinEventHandler
	c      *gws.Conn
	srv    *echoServer
	done   chan error    // one value at the end of each Echo
	closed chan struct{} // closed when the read loop returns

	mu        sync.Mutex // guards the fields below
	msgs      [][]byte   // messages being echoed, in turn
	next      int        // index in msgs of the message sent last
	remaining int        // echoes still expected
	last      []byte     // copy of the last echo
}

var errGWSClosed = errors.New("gws: connection closed during echo")

func (e *gwsEchoClient) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	e.mu.Lock()
	if e.remaining == 0 {
		e.mu.Unlock()
		return
	}
	if sent := e.msgs[e.next]; m.Opcode != gws.OpcodeBinary || m.Data.Len() != len(sent) {
		e.remaining = 0
		e.mu.Unlock()
		e.done <- fmt.Errorf("gws: echo of %d bytes came back as opcode %d with %d bytes", len(sent), m.Opcode, m.Data.Len())
		return
	}
	e.remaining--
	if e.remaining == 0 {
		e.last = append(e.last[:0], m.Bytes()...)
		e.mu.Unlock()
		e.done <- nil
		return
	}
	e.next++
	if e.next == len(e.msgs) {
		e.next = 0
	}
	msg := e.msgs[e.next]
	e.mu.Unlock()
	if err := c.WriteMessage(gws.OpcodeBinary, msg); err != nil {
		e.mu.Lock()
		e.remaining = 0
		e.mu.Unlock()
		e.done <- err
	}
}

func (e *gwsEchoClient) Echo(n int, msgs [][]byte) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	e.mu.Lock()
	e.msgs, e.next, e.remaining = msgs, 0, n
	e.mu.Unlock()
	if err := e.c.WriteMessage(gws.OpcodeBinary, msgs[0]); err != nil {
		return nil, err
	}
	select {
	case err := <-e.done:
		if err != nil {
			return nil, err
		}
	case <-e.closed:
		return nil, errGWSClosed
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last, nil
}

func (e *gwsEchoClient) Close() error {
	// WriteClose sends the close frame and closes the connection; the
	// server's read loop then ends.
	_ = e.c.WriteClose(1000, nil)
	select {
	case <-e.closed:
	case <-time.After(10 * time.Second):
	}
	return e.srv.Close()
}

func dialGWSDiscard(ctx context.Context, conn *DiscardConn) (MessageWriter, error) {
	option := &gws.ClientOption{
		Addr:                "ws://127.0.0.1/",
		ReadMaxPayloadSize:  ReadLimit,
		WriteMaxPayloadSize: ReadLimit,
		HandshakeTimeout:    10 * time.Second,
	}
	c, _, err := gws.NewClientFromConn(gws.BuiltinEventHandler{}, option, net.Conn(conn))
	if err != nil {
		return nil, err
	}
	return gwsWriter{c}, nil
}

type gwsWriter struct{ c *gws.Conn }

func (w gwsWriter) WriteBinary(msg []byte) error {
	return w.c.WriteMessage(gws.OpcodeBinary, msg)
}

func (w gwsWriter) Close() error { return w.c.NetConn().Close() }
