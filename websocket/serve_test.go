package websocket_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/duplexrt/duplex/websocket"
)

// serveEcho starts a server whose connections echo through Serve, and
// returns its URL and a channel of the errors that ended them.
func serveEcho(t *testing.T, opts *websocket.AcceptOptions) (string, chan error) {
	t.Helper()
	closed := make(chan error, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		c.Serve(func(c *websocket.Conn, typ websocket.MessageType, p []byte) {
			c.Write(context.Background(), typ, p)
		}, func(c *websocket.Conn, err error) {
			select {
			case closed <- err:
			default: // nobody is waiting for this one
			}
		})
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), closed
}

func TestServeEcho(t *testing.T) {
	for _, compress := range []bool{false, true} {
		var copts *websocket.CompressionOptions
		if compress {
			copts = &websocket.CompressionOptions{}
		}
		url, closed := serveEcho(t, &websocket.AcceptOptions{ReadLimit: 8 << 20, Compression: copts})
		c := dial(t, url, &websocket.DialOptions{ReadLimit: 8 << 20, Compression: copts})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		for _, n := range []int{0, 1, 125, 4096, 65536, 1 << 20, 5 << 20} {
			want := jsonLike(n)
			if err := c.Write(ctx, websocket.MessageBinary, want); err != nil {
				t.Fatal(err)
			}
			_, got, err := c.Read(ctx)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("compress %v, size %d: %d bytes, %v", compress, n, len(got), err)
			}
		}
		// A fragmented message with a ping in the middle.
		w, _ := c.Writer(ctx, websocket.MessageBinary)
		w.Write([]byte("frag"))
		go c.Ping(ctx)
		w.Write([]byte("mented"))
		w.Close()
		if _, got, err := c.Read(ctx); err != nil || string(got) != "fragmented" {
			t.Fatalf("fragmented: %q, %v", got, err)
		}
		if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-closed:
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Fatalf("onClose got %v", err)
			}
		case <-ctx.Done():
			t.Fatal("onClose not called")
		}
		cancel()
	}
}

// TestServeProtocolError checks that a violation reaches onClose as the
// failure this side sent.
func TestServeProtocolError(t *testing.T) {
	url, closed := serveEcho(t, &websocket.AcceptOptions{ReadLimit: 10})
	c := dial(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageText, []byte("far too long for the limit"))
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("client read %v", err)
	}
	select {
	case err := <-closed:
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || !ce.Local || ce.Code != websocket.StatusMessageTooBig {
			t.Fatalf("onClose got %v", err)
		}
	case <-ctx.Done():
		t.Fatal("onClose not called")
	}
}

// TestServeIdleHoldsNoGoroutine checks that idle served connections cost
// no goroutine each, and that they all still answer afterwards.
func TestServeIdleHoldsNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the poller is Linux only")
	}
	url, _ := serveEcho(t, nil)
	const n = 200
	var clients []*websocket.Conn
	for range n {
		clients = append(clients, dial(t, url, nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// One message each, so that every connection has been served once.
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Write(ctx, websocket.MessageText, []byte("hi"))
			if _, p, err := c.Read(ctx); err != nil || string(p) != "hi" {
				t.Errorf("%q, %v", p, err)
			}
		}()
	}
	wg.Wait()
	// The clients' side has no goroutine per connection either (nobody
	// reads now); the server's must not have one.
	time.Sleep(100 * time.Millisecond)
	if g := runtime.NumGoroutine(); g > n/2 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines for %d idle served connections:\n%s", g, n, buf[:runtime.Stack(buf, true)])
	}
}

// TestServeCloseFromHandler closes a served connection from its own
// message handler: the close completes, and onClose reports it.
func TestServeCloseFromHandler(t *testing.T) {
	closed := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c.Serve(func(c *websocket.Conn, typ websocket.MessageType, p []byte) {
			if err := c.Close(websocket.StatusNormalClosure, "as asked"); err != nil {
				t.Error(err)
			}
		}, func(c *websocket.Conn, err error) { closed <- err })
	}))
	defer srv.Close()
	c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageText, []byte("close, please"))
	_, _, err := c.Read(ctx)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusNormalClosure || ce.Reason != "as asked" {
		t.Fatalf("client read %v", err)
	}
	select {
	case err := <-closed:
		if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
			t.Fatalf("onClose got %v", err)
		}
	case <-ctx.Done():
		t.Fatal("onClose not called in time: the handshake did not complete")
	}
}

// TestServeClosedWhileIdle closes served connections from other
// goroutines while they wait for data: onClose still comes, once each.
func TestServeClosedWhileIdle(t *testing.T) {
	const n = 20
	conns := make(chan *websocket.Conn, n)
	var calls atomic.Int32
	ended := make(chan error, n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c.Serve(func(*websocket.Conn, websocket.MessageType, []byte) {}, func(_ *websocket.Conn, err error) {
			calls.Add(1)
			ended <- err
		})
		conns <- c
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	for range n {
		dial(t, url, nil)
	}
	for i := range n {
		c := <-conns
		if i%2 == 0 {
			go c.CloseNow()
		} else {
			go c.Close(websocket.StatusGoingAway, "") // the peer never answers
		}
	}
	for range n {
		select {
		case <-ended:
		case <-time.After(10 * time.Second):
			t.Fatalf("onClose called for %d of %d connections closed while idle", calls.Load(), n)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if c := calls.Load(); c != n {
		t.Errorf("onClose called %d times for %d connections", c, n)
	}
}

// TestServePipelinedSizes sends a long burst of messages of mixed sizes,
// around the read buffers' sizes, without waiting for the echoes: the
// served side reads them in chunks of either size and must hand each
// over whole, in order.
func TestServePipelinedSizes(t *testing.T) {
	url, _ := serveEcho(t, &websocket.AcceptOptions{ReadLimit: 1 << 20})
	c := dial(t, url, &websocket.DialOptions{ReadLimit: 1 << 20})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sizes := []int{10, 4095, 4096, 5000, 16 << 10, 100, 32 << 10, 32<<10 + 1, 40 << 10, 64 << 10, 3, 20 << 10}
	var msgs [][]byte
	for i := range 300 {
		msgs = append(msgs, jsonLike(sizes[i%len(sizes)]+i%7))
	}
	go func() {
		for i, m := range msgs {
			typ := websocket.MessageText
			if i%3 == 0 || !utf8.Valid(m) {
				typ = websocket.MessageBinary
			}
			if err := c.Write(ctx, typ, m); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i, want := range msgs {
		_, got, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("message %d: %d bytes back, want %d", i, len(got), len(want))
		}
	}
}
