package websocket_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// BenchmarkIdleConn reports the memory an idle server connection holds:
// heap and goroutine stacks, divided by the number of connections, with
// the read loop blocked in Read either inside the HTTP handler or in a
// goroutine of its own after the handler returned. The clients are bare TCP
// connections that did the handshake by hand, so they cost the server's
// process nothing but kernel socket memory, which is not counted.
func BenchmarkIdleConn(b *testing.B) {
	b.Run("in-handler", func(b *testing.B) { benchIdle(b, false) })
	b.Run("handler-returns", func(b *testing.B) { benchIdle(b, true) })
}

func benchIdle(b *testing.B, returnHandler bool) {
	const conns = 2000
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	accepted := make(chan struct{}, conns)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		accepted <- struct{}{}
		if returnHandler {
			go func() {
				c.Read(context.Background())
				c.CloseNow()
			}()
			return
		}
		c.Read(context.Background())
		c.CloseNow()
	})}
	go srv.Serve(ln)
	defer srv.Close()

	for range b.N {
		before := memInUse()
		clients := make([]net.Conn, 0, conns)
		for range conns {
			nc, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
			br := bufio.NewReader(nc)
			if _, err := http.ReadResponse(br, nil); err != nil {
				b.Fatal(err)
			}
			clients = append(clients, nc)
		}
		for range conns {
			<-accepted
		}
		time.Sleep(100 * time.Millisecond)
		after := memInUse()
		b.ReportMetric(float64(after-before)/conns, "bytes/conn")
		for _, nc := range clients {
			nc.Close()
		}
	}
}

func memInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}
