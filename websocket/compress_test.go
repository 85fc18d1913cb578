package websocket_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// jsonLike returns n bytes of repetitive, compressible text.
func jsonLike(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"user":"user-%d","text":"hello, world — ünïcode","tags":["a","b"]},`, i, i%17)
	}
	return b.Bytes()[:n]
}

func TestCompressionRoundTrips(t *testing.T) {
	combos := []struct {
		name   string
		server websocket.CompressionOptions
		client websocket.CompressionOptions
	}{
		{"defaults", websocket.CompressionOptions{}, websocket.CompressionOptions{}},
		{"no-takeover-both", websocket.CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}, websocket.CompressionOptions{}},
		{"client-asks-no-takeover", websocket.CompressionOptions{}, websocket.CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
		{"small-windows", websocket.CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 10}, websocket.CompressionOptions{}},
		{"client-limits-server-window", websocket.CompressionOptions{}, websocket.CompressionOptions{ServerMaxWindowBits: 8, ClientMaxWindowBits: 12}},
		{"level-9-threshold-0", websocket.CompressionOptions{Level: 9, Threshold: -1}, websocket.CompressionOptions{Level: 9, Threshold: -1}},
	}
	for _, tc := range combos {
		t.Run(tc.name, func(t *testing.T) {
			server := tc.server
			client := tc.client
			url := echoServer(t, &websocket.AcceptOptions{Compression: &server, ReadLimit: 32 << 20})
			c := dial(t, url, &websocket.DialOptions{Compression: &client, ReadLimit: 32 << 20})
			if !strings.HasPrefix(c.Extensions(), "permessage-deflate") {
				t.Fatalf("extensions %q", c.Extensions())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for _, n := range []int{0, 1, 100, 200, 1 << 10, 40 << 10, 64 << 10, 1 << 20} {
				for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
					want := jsonLike(n)
					for range 2 {
						if err := c.Write(ctx, typ, want); err != nil {
							t.Fatalf("write %d: %v", n, err)
						}
						gotTyp, got, err := c.Read(ctx)
						if err != nil {
							t.Fatalf("read %d: %v", n, err)
						}
						if gotTyp != typ || !bytes.Equal(got, want) {
							t.Fatalf("size %d: got %v %d bytes", n, gotTyp, len(got))
						}
					}
					// Streamed both ways: fragments out, a stream in.
					w, err := c.Writer(ctx, typ)
					if err != nil {
						t.Fatal(err)
					}
					for off := 0; off < len(want); off += 7777 {
						w.Write(want[off:min(off+7777, len(want))])
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					_, r, err := c.Reader(ctx)
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(r)
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("streamed size %d: %d bytes, %v", n, len(got), err)
					}
				}
			}
			if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCompressionDeclined checks that a server without compression, or a
// client without it, leaves the connection uncompressed.
func TestCompressionDeclined(t *testing.T) {
	url := echoServer(t, nil)
	c := dial(t, url, &websocket.DialOptions{Compression: &websocket.CompressionOptions{}})
	if c.Extensions() != "" {
		t.Fatalf("extensions %q with a server that does not compress", c.Extensions())
	}
	url = echoServer(t, &websocket.AcceptOptions{Compression: &websocket.CompressionOptions{}})
	c = dial(t, url, nil)
	if c.Extensions() != "" {
		t.Fatalf("extensions %q with a client that did not offer", c.Extensions())
	}
	ctx := context.Background()
	c.Write(ctx, websocket.MessageText, jsonLike(1000))
	if _, p, err := c.Read(ctx); err != nil || len(p) != 1000 {
		t.Fatal(len(p), err)
	}
}

// TestDeflateBomb sends a small compressed frame that inflates far past
// the read limit: the server must fail it with 1009 without inflating it
// all.
func TestDeflateBomb(t *testing.T) {
	got := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Compression: &websocket.CompressionOptions{},
			ReadLimit:   1 << 20,
		})
		if err != nil {
			return
		}
		_, _, err = c.Read(r.Context())
		got <- err
	}))
	defer srv.Close()
	client := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{
		Compression: &websocket.CompressionOptions{},
	})
	// 64 MiB of zeros compress to about 64 KiB.
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := client.Writer(ctx, websocket.MessageBinary)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 64 {
		if _, err := w.Write(zeros); err != nil {
			break // the server has failed the connection
		}
	}
	w.Close()
	select {
	case err := <-got:
		if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
			t.Fatalf("server read %v, want 1009", err)
		}
	case <-ctx.Done():
		t.Fatal("server never failed the message")
	}
	_, _, err = client.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("client saw %v, want close 1009", err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// Both ends run in this process; inflating the bomb alone would
	// allocate 64 MiB. (The race detector's pools drop buffers on
	// purpose, so only a normal build counts.)
	if grew := after.TotalAlloc - before.TotalAlloc; !raceEnabled && grew > 16<<20 {
		t.Fatalf("allocated %d MiB while refusing the bomb", grew>>20)
	}
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestCompressionShrinksWire checks that compressible messages really
// travel compressed.
func TestCompressionShrinksWire(t *testing.T) {
	for _, compress := range []bool{false, true} {
		var opts *websocket.CompressionOptions
		if compress {
			opts = &websocket.CompressionOptions{}
		}
		url := echoServer(t, &websocket.AcceptOptions{Compression: opts})
		var received atomic.Int64
		c := dial(t, url, &websocket.DialOptions{
			Compression: opts,
			NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				return countingConn{nc, &received}, err
			},
		})
		ctx := context.Background()
		msg := jsonLike(64 << 10)
		start := received.Load()
		for range 10 {
			c.Write(ctx, websocket.MessageText, msg)
			if _, p, err := c.Read(ctx); err != nil || !bytes.Equal(p, msg) {
				t.Fatal(err)
			}
		}
		wire := received.Load() - start
		switch {
		case compress && wire > int64(len(msg)):
			t.Fatalf("compressed: %d bytes on the wire for 10 messages of %d", wire, len(msg))
		case !compress && wire < int64(10*len(msg)):
			t.Fatalf("uncompressed: only %d bytes on the wire", wire)
		}
	}
}

// TestCompressionManyTakeoverConns runs more connections with context
// takeover than keep a compressor of their own, so that compressors pass
// from connection to connection and are primed from each one's window;
// every echo must decode exactly.
func TestCompressionManyTakeoverConns(t *testing.T) {
	url := echoServer(t, &websocket.AcceptOptions{Compression: &websocket.CompressionOptions{}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var clients []*websocket.Conn
	join := func(n int) {
		for range n {
			clients = append(clients, dial(t, url, &websocket.DialOptions{Compression: &websocket.CompressionOptions{}}))
		}
	}
	rounds := func(n int) {
		for round := range n {
			for i, c := range clients {
				msg := []byte(strings.Repeat(fmt.Sprintf("conn %d round %d; ", i, round), 40+i))
				if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
					t.Fatal(err)
				}
				_, got, err := c.Read(ctx)
				if err != nil {
					t.Fatalf("conn %d round %d: %v", i, round, err)
				}
				if !bytes.Equal(got, msg) {
					t.Fatalf("conn %d round %d: echo differs", i, round)
				}
			}
		}
	}
	join(40)
	rounds(3)
	// Newcomers start with empty windows, from compressors that primed
	// other connections' windows before.
	join(8)
	rounds(2)
}
