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
		c, _, err := startDuplexEcho(ctx, false, CompressionOff, nil)
		return c, err
	},
	DialDiscard: dialDuplexDiscard,
	Modes:       []CompressionMode{CompressionOff, CompressionTakeover, CompressionNoTakeover},
	StartCompressedEcho: func(ctx context.Context, mode CompressionMode, wrap func(net.Conn) net.Conn) (EchoClient, string, error) {
		return startDuplexEcho(ctx, false, mode, wrap)
	},
	StartIdleServer: startDuplexIdle,
}

// duplexCompression returns the compression options of mode, for both
// the server and the client: the zero CompressionOptions ask for context
// takeover and 32 KiB windows, Duplex's defaults.
func duplexCompression(mode CompressionMode) *websocket.CompressionOptions {
	switch mode {
	case CompressionTakeover:
		return &websocket.CompressionOptions{}
	case CompressionNoTakeover:
		return &websocket.CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
	}
	return nil
}

// DuplexCancelableEcho starts a Duplex echo server and client that pass
// cancelable contexts to Read and Write, as handlers that use
// r.Context() do, instead of context.Background().
func DuplexCancelableEcho(ctx context.Context) (EchoClient, error) {
	c, _, err := startDuplexEcho(ctx, true, CompressionOff, nil)
	return c, err
}

func startDuplexEcho(ctx context.Context, cancelable bool, mode CompressionMode, wrap func(net.Conn) net.Conn) (EchoClient, string, error) {
	srv, err := startEchoServer(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			ReadLimit:   ReadLimit,
			Compression: duplexCompression(mode),
		})
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
		return nil, "", err
	}
	opts := &websocket.DialOptions{
		Proxy:       websocket.NoProxy,
		ReadLimit:   ReadLimit,
		Compression: duplexCompression(mode),
	}
	if wrap != nil {
		opts.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return wrap(c), nil
		}
	}
	c, _, err := websocket.Dial(ctx, srv.URL(), opts)
	if err != nil {
		srv.Close()
		return nil, "", err
	}
	ext := c.Extensions()
	if mode == CompressionOff && ext != "" {
		c.CloseNow()
		srv.Close()
		return nil, "", fmt.Errorf("duplex: extensions %q negotiated; the benchmarks compare uncompressed connections", ext)
	}
	e := &duplexEchoClient{c: c, srv: srv, ctx: context.Background(), cancel: func() {}}
	if cancelable {
		e.ctx, e.cancel = context.WithCancel(context.Background())
	}
	return e, ext, nil
}

// startDuplexIdle starts a server whose connections each read in a
// goroutine of their own, the handler having returned.
func startDuplexIdle(mode CompressionMode) (*LoopServer, error) {
	opts := &websocket.AcceptOptions{ReadLimit: ReadLimit, Compression: duplexCompression(mode)}
	return startLoopServer(func(w http.ResponseWriter, r *http.Request) func() {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return nil
		}
		return func() {
			defer c.CloseNow()
			ctx := context.Background()
			for {
				typ, p, err := c.Read(ctx)
				if err != nil {
					return
				}
				if err := c.Write(ctx, typ, p); err != nil {
					return
				}
			}
		}
	})
}

type duplexEchoClient struct {
	c      *websocket.Conn
	srv    *echoServer
	ctx    context.Context // passed to Read and Write
	cancel context.CancelFunc
}

func (e *duplexEchoClient) Echo(n int, msgs [][]byte) ([]byte, error) {
	ctx := e.ctx
	var echo []byte
	for i := 0; i < n; i++ {
		msg := msgs[i%len(msgs)]
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
