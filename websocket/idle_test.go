package websocket_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"

	"github.com/duplexrt/duplex/websocket"
)

// BenchmarkIdleConn reports the memory an idle server connection holds:
// heap and goroutine stacks, divided by the number of connections. The
// read loop is blocked in Read either inside the HTTP handler or in a
// goroutine of its own after the handler returned. With compression, each
// connection has exchanged one compressed message first, so that the
// state context takeover keeps is in place. The clients are bare TCP
// connections that speak the protocol by hand, so they cost the server's
// process nothing but kernel socket memory, which is not counted.
func BenchmarkIdleConn(b *testing.B) {
	b.Run("in-handler", func(b *testing.B) { benchIdle(b, true, nil) })
	b.Run("handler-returns", func(b *testing.B) { benchIdle(b, false, nil) })
	b.Run("deflate-takeover", func(b *testing.B) {
		benchIdle(b, false, &websocket.CompressionOptions{})
	})
	b.Run("deflate-no-takeover", func(b *testing.B) {
		benchIdle(b, false, &websocket.CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true})
	})
}

func benchIdle(b *testing.B, inHandler bool, compression *websocket.CompressionOptions) {
	const conns = 2000
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ready := make(chan struct{}, conns)
	serve := func(c *websocket.Conn) {
		ctx := context.Background()
		if compression != nil {
			typ, p, err := c.Read(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			c.Write(ctx, typ, p)
		}
		ready <- struct{}{}
		c.Read(ctx)
		c.CloseNow()
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Compression: compression})
		if err != nil {
			return
		}
		if inHandler {
			serve(c)
			return
		}
		go serve(c)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	request := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	var frame []byte
	if compression != nil {
		request += "Sec-WebSocket-Extensions: permessage-deflate\r\n"
		frame = compressedClientFrame(b, jsonLike(4<<10))
	}
	request += "\r\n"

	for range b.N {
		before := memInUse()
		clients := make([]net.Conn, 0, conns)
		for range conns {
			nc, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			nc.Write([]byte(request))
			br := bufio.NewReader(nc)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				b.Fatal(err)
			}
			if compression != nil && resp.Header.Get("Sec-WebSocket-Extensions") == "" {
				b.Fatal("compression not negotiated")
			}
			nc.Write(frame)
			clients = append(clients, nc)
		}
		for range conns {
			<-ready
		}
		// Idle compressors go back to their pool within two sweeps.
		settle := 100 * time.Millisecond
		if compression != nil {
			settle = 5 * time.Second
		}
		time.Sleep(settle)
		after := memInUse()
		b.ReportMetric(float64(after-before)/conns, "bytes/conn")
		for _, nc := range clients {
			nc.Close()
		}
	}
}

// compressedClientFrame builds a masked, compressed binary frame.
func compressedClientFrame(b testing.TB, msg []byte) []byte {
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestSpeed)
	fw.Write(msg)
	fw.Flush()
	payload := bytes.TrimSuffix(z.Bytes(), []byte{0, 0, 0xff, 0xff})
	if len(payload) > 0xffff {
		b.Fatal("payload too long for this helper")
	}
	key := [4]byte{1, 2, 3, 4}
	frame := []byte{0x80 | 0x40 | 0x2, 0x80 | 126, byte(len(payload) >> 8), byte(len(payload))}
	frame = append(frame, key[:]...)
	for i, c := range payload {
		frame = append(frame, c^key[i%4])
	}
	return frame
}

func memInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}
