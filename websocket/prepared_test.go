package websocket_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// TestPreparedMessage writes one prepared message from servers with every
// kind of compression to clients with every kind, and from a client.
func TestPreparedMessage(t *testing.T) {
	msg := jsonLike(10 << 10)
	pm, err := websocket.NewPreparedMessage(websocket.MessageText, msg)
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]*websocket.CompressionOptions{
		"plain":       nil,
		"takeover":    {},
		"no-takeover": {ServerNoContextTakeover: true},
		"window-9":    {ServerNoContextTakeover: true, ServerMaxWindowBits: 9},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for name, opts := range modes {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Compression: opts})
			if err != nil {
				return
			}
			defer c.CloseNow()
			for range 3 {
				if err := c.WritePrepared(ctx, pm); err != nil {
					t.Error(err)
					return
				}
			}
			// Then a client's prepared write comes back.
			_, p, err := c.Read(ctx)
			if err != nil || !bytes.Equal(p, msg) {
				t.Errorf("%s: server read %d bytes, %v", name, len(p), err)
			}
			c.Close(websocket.StatusNormalClosure, "")
		}))
		for _, clientOpts := range []*websocket.CompressionOptions{nil, {}} {
			c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{Compression: clientOpts})
			for i := range 3 {
				typ, p, err := c.Read(ctx)
				if err != nil || typ != websocket.MessageText || !bytes.Equal(p, msg) {
					t.Fatalf("%s, message %d: %v %d bytes, %v", name, i, typ, len(p), err)
				}
			}
			if err := c.WritePrepared(ctx, pm); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Fatalf("%s: %v", name, err)
			}
		}
		srv.Close()
	}
}

// BenchmarkBroadcast writes one 1 KiB JSON-like message to 100 server
// connections, with Write (each connection encodes it) and with
// WritePrepared (encoded once), uncompressed and compressed without
// context takeover.
func BenchmarkBroadcast(b *testing.B) {
	const conns = 100
	msg := jsonLike(1 << 10)
	for _, compress := range []bool{false, true} {
		name := "plain"
		if compress {
			name = "deflate"
		}
		cs := make([]*websocket.Conn, conns)
		for i := range cs {
			cs[i] = websocket.NewDiscardServerConn(compress)
		}
		ctx := context.Background()
		b.Run(name+"/Write", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				for _, c := range cs {
					if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(name+"/Enqueue", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				pm, _ := websocket.NewPreparedMessage(websocket.MessageText, msg)
				for _, c := range cs {
					err := c.Enqueue(pm)
					for errors.Is(err, websocket.ErrQueueFull) {
						runtime.Gosched() // let the connection catch up
						err = c.Enqueue(pm)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			for _, c := range cs {
				for c.BufferedAmount() > 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
		b.Run(name+"/WritePrepared", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				pm, _ := websocket.NewPreparedMessage(websocket.MessageText, msg)
				for _, c := range cs {
					if err := c.WritePrepared(ctx, pm); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
