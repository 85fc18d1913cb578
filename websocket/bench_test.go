package websocket_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/duplexrt/duplex/websocket"
)

// benchPair returns a client connected over loopback TCP to a server
// that echoes every message.
func benchPair(b testing.TB) *websocket.Conn {
	return benchPairWith(b, nil)
}

// benchPairWith is benchPair with compression options for both ends.
func benchPairWith(b testing.TB, compression *websocket.CompressionOptions) *websocket.Conn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{ReadLimit: 4 << 20, Compression: compression})
		if err != nil {
			return
		}
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
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	c, _, err := websocket.Dial(context.Background(), "ws://"+ln.Addr().String(), &websocket.DialOptions{ReadLimit: 4 << 20, Compression: compression})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.CloseNow() })
	return c
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// BenchmarkEcho measures a round trip: the client writes a message, the
// server reads and writes it back, the client reads it.
func BenchmarkEcho(b *testing.B) {
	for _, n := range []int{16, 1 << 10, 64 << 10, 1 << 20} {
		for _, typ := range []websocket.MessageType{websocket.MessageBinary, websocket.MessageText} {
			b.Run(typ.String()+"/"+sizeName(n), func(b *testing.B) {
				c := benchPair(b)
				msg := make([]byte, n)
				for i := range msg {
					msg[i] = byte('a' + i%26)
				}
				ctx := context.Background()
				b.SetBytes(int64(n))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := c.Write(ctx, typ, msg); err != nil {
						b.Fatal(err)
					}
					if _, _, err := c.Read(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkServeEcho is BenchmarkEcho with a server that reads with
// Serve, through the poller where there is one.
func BenchmarkServeEcho(b *testing.B) {
	for _, n := range []int{16, 1 << 10, 64 << 10} {
		b.Run(sizeName(n), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				c.Serve(func(c *websocket.Conn, typ websocket.MessageType, p []byte) {
					c.Write(context.Background(), typ, p)
				}, nil)
			})}
			go srv.Serve(ln)
			defer srv.Close()
			ctx := context.Background()
			c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String(), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseNow()
			msg := make([]byte, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := c.Read(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEchoCompressed is BenchmarkEcho for JSON-like text with
// permessage-deflate, with context takeover and without.
func BenchmarkEchoCompressed(b *testing.B) {
	modes := []struct {
		name string
		opts *websocket.CompressionOptions
	}{
		{"off", nil},
		{"takeover", &websocket.CompressionOptions{}},
		{"no-takeover", &websocket.CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}},
	}
	for _, n := range []int{1 << 10, 64 << 10} {
		for _, mode := range modes {
			b.Run(sizeName(n)+"/"+mode.name, func(b *testing.B) {
				c := benchPairWith(b, mode.opts)
				msg := jsonLike(n)
				ctx := context.Background()
				b.SetBytes(int64(n))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
						b.Fatal(err)
					}
					if _, _, err := c.Read(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkUTF8 compares the validator with unicode/utf8.Valid.
func BenchmarkUTF8(b *testing.B) {
	ascii := make([]byte, 64<<10)
	for i := range ascii {
		ascii[i] = byte('a' + i%26)
	}
	mixed := []byte{}
	for len(mixed) < 64<<10 {
		mixed = append(mixed, "héllo wörld κόσμε 😀 "...)
	}
	for _, in := range []struct {
		name string
		p    []byte
	}{{"ascii", ascii}, {"mixed", mixed}} {
		b.Run("duplex/"+in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.p)))
			for range b.N {
				if !websocket.ValidUTF8ForBenchmark(in.p) {
					b.Fatal("invalid")
				}
			}
		})
		b.Run("stdlib/"+in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.p)))
			for range b.N {
				if !utf8.Valid(in.p) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// BenchmarkMask measures masking throughput.
func BenchmarkMask(b *testing.B) {
	for _, n := range []int{16, 1 << 10, 64 << 10} {
		b.Run(sizeName(n), func(b *testing.B) {
			p := make([]byte, n)
			b.SetBytes(int64(n))
			for range b.N {
				websocket.MaskForBenchmark([4]byte{1, 2, 3, 4}, p)
			}
		})
	}
}
