package websocket_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// TestKeepAlive checks that a keep-alive keeps a reading peer connected
// and drops one that never answers its pings.
func TestKeepAlive(t *testing.T) {
	result := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{PingInterval: 30 * time.Millisecond, PongTimeout: 100 * time.Millisecond})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, _, err = c.Read(ctx)
		result <- err
	}))
	defer srv.Close()

	// A client that reads answers the pings: the server's Read waits
	// for a message well past several ping intervals.
	c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	pings := make(chan struct{}, 100)
	c.SetPingHandler(func([]byte) { pings <- struct{}{} })
	go c.Read(context.Background())
	time.Sleep(400 * time.Millisecond)
	if len(pings) < 3 {
		t.Fatalf("%d pings in 400ms at a 30ms interval", len(pings))
	}
	if err := c.Write(context.Background(), websocket.MessageText, []byte("alive")); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatalf("server read %v, want the message", err)
	}

	// A client that does the handshake and then never reads.
	nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	if _, err := http.ReadResponse(bufio.NewReader(nc), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-result:
		if !errors.Is(err, websocket.ErrPongTimeout) {
			t.Fatalf("server read %v, want ErrPongTimeout", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("silent peer not dropped")
	}
}

// TestPongHandler checks that the pong handler sees the pong that
// answers a Ping.
func TestPongHandler(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.Read(context.Background())
	}))
	defer srv.Close()
	c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	pongs := make(chan int, 1)
	c.SetPongHandler(func(p []byte) { pongs <- len(p) })
	go c.Read(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-pongs:
		if n == 0 {
			t.Fatal("pong handler got an empty payload")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("pong handler not called")
	}
}

// TestBufferedAmount checks that bytes accepted by a blocked Write are
// reported until they reach the socket.
func TestBufferedAmount(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{ReadLimit: 128 << 20})
		if err != nil {
			return
		}
		defer c.CloseNow()
		<-release // do not read until told
		for {
			if _, _, err := c.Read(context.Background()); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	defer close(release)
	c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if n := c.BufferedAmount(); n != 0 {
		t.Fatalf("BufferedAmount %d before writing", n)
	}
	// Enough to fill both sockets' buffers, so that the write blocks.
	big := make([]byte, 24<<20)
	done := make(chan error, 1)
	go func() { done <- c.Write(context.Background(), websocket.MessageBinary, big) }()
	deadline := time.Now().Add(5 * time.Second)
	for c.BufferedAmount() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := c.BufferedAmount(); n != len(big) {
		t.Fatalf("BufferedAmount %d while a write of %d bytes is blocked", n, len(big))
	}
	release <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := c.BufferedAmount(); n != 0 {
		t.Fatalf("BufferedAmount %d after the write returned", n)
	}
}
