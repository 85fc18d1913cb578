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
// they are by default.
var gwsLibrary = Library{
	Name:        "gws",
	StartEcho:   startGWSEcho,
	DialDiscard: dialGWSDiscard,
}

// gwsEchoServer echoes every message it receives.
type gwsEchoServer struct{ gws.BuiltinEventHandler }

func (gwsEchoServer) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	_ = c.WriteMessage(m.Opcode, m.Bytes())
}

func startGWSEcho(ctx context.Context) (EchoClient, error) {
	up := gws.NewUpgrader(gwsEchoServer{}, &gws.ServerOption{
		ReadMaxPayloadSize:  ReadLimit,
		WriteMaxPayloadSize: ReadLimit,
	})
	srv, err := startEchoServer(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		c.ReadLoop()
	})
	if err != nil {
		return nil, err
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
	}
	if deadline, ok := ctx.Deadline(); ok {
		option.HandshakeTimeout = time.Until(deadline)
	}
	c, _, err := gws.NewClient(e, option)
	if err != nil {
		srv.Close()
		return nil, err
	}
	e.c = c
	go func() {
		defer close(e.closed)
		c.ReadLoop()
	}()
	return e, nil
}

// gwsEchoClient runs the round trips from its OnMessage callback.
type gwsEchoClient struct {
	gws.BuiltinEventHandler
	c      *gws.Conn
	srv    *echoServer
	done   chan error    // one value at the end of each Echo
	closed chan struct{} // closed when the read loop returns

	mu        sync.Mutex // guards the fields below
	msg       []byte     // message being echoed
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
	if m.Opcode != gws.OpcodeBinary || m.Data.Len() != len(e.msg) {
		e.remaining = 0
		e.mu.Unlock()
		e.done <- fmt.Errorf("gws: echo of %d bytes came back as opcode %d with %d bytes", len(e.msg), m.Opcode, m.Data.Len())
		return
	}
	e.remaining--
	if e.remaining == 0 {
		e.last = append(e.last[:0], m.Bytes()...)
		e.mu.Unlock()
		e.done <- nil
		return
	}
	msg := e.msg
	e.mu.Unlock()
	if err := c.WriteMessage(gws.OpcodeBinary, msg); err != nil {
		e.mu.Lock()
		e.remaining = 0
		e.mu.Unlock()
		e.done <- err
	}
}

func (e *gwsEchoClient) Echo(n int, msg []byte) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	e.mu.Lock()
	e.msg, e.remaining = msg, n
	e.mu.Unlock()
	if err := e.c.WriteMessage(gws.OpcodeBinary, msg); err != nil {
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
