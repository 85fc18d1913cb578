package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/duplexrt/duplex/websocket"
)

// duplexLibrary is this repository's websocket package, with its
// defaults: Read reuses one buffer per connection, and the options leave
// compression and keep-alive off.
var duplexLibrary = Library{
	Name: "duplex",
	StartEcho: func(ctx context.Context) (EchoClient, error) {
		return startDuplexEcho(ctx, false)
	},
	DialDiscard: dialDuplexDiscard,
}

// DuplexCancelableEcho starts a Duplex echo server and client that pass
// cancelable contexts to Read and Write, as handlers that use
// r.Context() do, instead of context.Background().
func DuplexCancelableEcho(ctx context.Context) (EchoClient, error) {
	return startDuplexEcho(ctx, true)
}

func startDuplexEcho(ctx context.Context, cancelable bool) (EchoClient, error) {
	srv, err := startEchoServer(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{ReadLimit: ReadLimit})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		if cancelable {
			ctx = r.Context()
		}
		for {
			typ, p, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, p); err != nil {
				return
			}
		}
	})
	if err != nil {
		return nil, err
	}
	c, _, err := websocket.Dial(ctx, srv.URL(), &websocket.DialOptions{
		Proxy:     websocket.NoProxy,
		ReadLimit: ReadLimit,
	})
	if err != nil {
		srv.Close()
		return nil, err
	}
	if ext := c.Extensions(); ext != "" {
		c.CloseNow()
		srv.Close()
		return nil, fmt.Errorf("duplex: extensions %q negotiated; the benchmarks compare uncompressed connections", ext)
	}
	e := &duplexEchoClient{c: c, srv: srv, ctx: context.Background(), cancel: func() {}}
	if cancelable {
		e.ctx, e.cancel = context.WithCancel(context.Background())
	}
	return e, nil
}

type duplexEchoClient struct {
	c      *websocket.Conn
	srv    *echoServer
	ctx    context.Context // passed to Read and Write
	cancel context.CancelFunc
}

func (e *duplexEchoClient) Echo(n int, msg []byte) ([]byte, error) {
	ctx := e.ctx
	var echo []byte
	for i := 0; i < n; i++ {
		if err := e.c.Write(ctx, websocket.MessageBinary, msg); err != nil {
			return nil, err
		}
		typ, p, err := e.c.Read(ctx)
		if err != nil {
			return nil, err
		}
		if typ != websocket.MessageBinary || len(p) != len(msg) {
			return nil, fmt.Errorf("duplex: echo of %d bytes came back as type %d with %d bytes", len(msg), typ, len(p))
		}
		echo = p
	}
	return echo, nil
}

func (e *duplexEchoClient) Close() error {
	defer e.cancel()
	err := e.c.Close(websocket.StatusNormalClosure, "")
	if serr := e.srv.Close(); serr != nil {
		return serr
	}
	return err
}

func dialDuplexDiscard(ctx context.Context, conn *DiscardConn) (MessageWriter, error) {
	c, _, err := websocket.Dial(ctx, "ws://127.0.0.1/", &websocket.DialOptions{
		Proxy:     websocket.NoProxy,
		ReadLimit: ReadLimit,
		NetDialContext: func(context.Context, string, string) (net.Conn, error) {
			return conn, nil
		},
	})
	if err != nil {
		return nil, err
	}
	return duplexWriter{c}, nil
}

type duplexWriter struct{ c *websocket.Conn }

func (w duplexWriter) WriteBinary(msg []byte) error {
	return w.c.Write(context.Background(), websocket.MessageBinary, msg)
}

func (w duplexWriter) Close() error { return w.c.CloseNow() }
