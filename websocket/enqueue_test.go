package websocket_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// TestEnqueueBroadcast hands 200 messages to servers of every kind of
// compression, each with clients of every kind; every client must get all
// of them, in order.
func TestEnqueueBroadcast(t *testing.T) {
	const messages = 200
	var mu sync.Mutex
	var conns []*websocket.Conn
	ready := make(chan struct{}, 16)
	modes := []*websocket.CompressionOptions{nil, {}, {ServerNoContextTakeover: true}}
	var urls []string
	for _, opts := range modes {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Compression: opts})
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			ready <- struct{}{}
		}))
		defer srv.Close()
		urls = append(urls, "ws"+strings.TrimPrefix(srv.URL, "http"))
	}
	var clients []*websocket.Conn
	for _, u := range urls {
		for _, copts := range []*websocket.CompressionOptions{nil, {}} {
			clients = append(clients, dial(t, u, &websocket.DialOptions{Compression: copts}))
			<-ready
		}
	}
	var want [][]byte
	for i := range messages {
		msg := []byte(fmt.Sprintf("message %d %s", i, strings.Repeat("x", i*7)))
		want = append(want, msg)
		pm, _ := websocket.NewPreparedMessage(websocket.MessageText, msg)
		mu.Lock()
		for _, c := range conns {
			if err := c.Enqueue(pm); err != nil {
				t.Fatal(err)
			}
		}
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for k, c := range clients {
		for i := range messages {
			_, p, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("client %d, message %d: %v", k, i, err)
			}
			if !bytes.Equal(p, want[i]) {
				t.Fatalf("client %d, message %d: got %q", k, i, p)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range conns {
		// The writer counts its bytes out after the write returns, which
		// may be after the client has read them.
		deadline := time.Now().Add(5 * time.Second)
		for c.BufferedAmount() != 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := c.BufferedAmount(); n != 0 {
			t.Errorf("BufferedAmount %d 5s after the queue drained", n)
		}
		c.CloseNow()
	}
}

// TestEnqueueFull checks that a connection whose peer does not read
// refuses messages past its queue limit instead of holding them all.
func TestEnqueueFull(t *testing.T) {
	got := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{QueueLimit: 64 << 10})
		if err != nil {
			return
		}
		got <- c
	}))
	defer srv.Close()
	dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), nil) // never reads
	c := <-got
	defer c.CloseNow()
	pm, _ := websocket.NewPreparedMessage(websocket.MessageBinary, make([]byte, 16<<10))
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for sent := 0; time.Now().Before(deadline); sent++ {
		if err = c.Enqueue(pm); err != nil {
			break
		}
		if sent > 100000 {
			t.Fatal("queue never filled")
		}
	}
	if !errors.Is(err, websocket.ErrQueueFull) {
		t.Fatalf("Enqueue: %v, want ErrQueueFull", err)
	}
	if n := c.BufferedAmount(); n > 64<<10+16<<10 {
		t.Fatalf("BufferedAmount %d beyond the queue limit", n)
	}
	c.CloseNow()
	if err := c.Enqueue(pm); !errors.Is(err, websocket.ErrClosed) {
		t.Fatalf("Enqueue after close: %v", err)
	}
}
