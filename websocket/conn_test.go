package websocket_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// echoServer starts a server that echoes every message with its type.
func echoServer(t testing.TB, opts *websocket.AcceptOptions) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, p, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if err := c.Write(context.Background(), typ, p); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(t testing.TB, url string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func TestEchoSizes(t *testing.T) {
	url := echoServer(t, &websocket.AcceptOptions{ReadLimit: 32 << 20})
	c := dial(t, url, &websocket.DialOptions{ReadLimit: 32 << 20})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, n := range []int{0, 1, 125, 126, 127, 4095, 4096, 4097, 65535, 65536, 65537, 1 << 20, 16 << 20} {
		for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
			want := pattern(n)
			if err := c.Write(ctx, typ, want); err != nil {
				t.Fatalf("write %d: %v", n, err)
			}
			gotTyp, got, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("read %d: %v", n, err)
			}
			if gotTyp != typ || !bytes.Equal(got, want) {
				t.Fatalf("size %d %v: got %v of %d bytes", n, typ, gotTyp, len(got))
			}
		}
	}
	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
	if s := c.State(); s != websocket.StateClosed {
		t.Fatalf("state after Close = %v", s)
	}
}

func TestStreamingWriterAndReader(t *testing.T) {
	url := echoServer(t, nil)
	c := dial(t, url, nil)
	ctx := context.Background()
	w, err := c.Writer(ctx, websocket.MessageText)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	for i := 0; i < 100; i++ {
		chunk := pattern(i * 37)
		want.Write(chunk)
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	typ, r, err := c.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if typ != websocket.MessageText || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %v %d bytes, want %d", typ, len(got), want.Len())
	}
}

func TestConcurrentWriters(t *testing.T) {
	url := echoServer(t, nil)
	c := dial(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const writers, each = 32, 50
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				msg := bytes.Repeat([]byte{byte(g)}, 100+g*300+i)
				var err error
				if i%3 == 0 {
					var w io.WriteCloser
					w, err = c.Writer(ctx, websocket.MessageBinary)
					if err == nil {
						w.Write(msg[:len(msg)/2])
						w.Write(msg[len(msg)/2:])
						err = w.Close()
					}
				} else {
					err = c.Write(ctx, websocket.MessageBinary, msg)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	counts := make(map[byte]int)
	for n := 0; n < writers*each; n++ {
		_, p, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		g := p[0]
		if !bytes.Equal(p, bytes.Repeat([]byte{g}, 100+int(g)*300+counts[g])) {
			t.Fatalf("message %d from writer %d corrupted or out of order", counts[g], g)
		}
		counts[g]++
	}
	wg.Wait()
}

func TestPing(t *testing.T) {
	url := echoServer(t, nil)
	c := dial(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	readErr := make(chan error, 1)
	go func() {
		_, _, err := c.Read(ctx)
		readErr <- err
	}()
	for i := 0; i < 3; i++ {
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")
	if err := <-readErr; websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("read after close: %v", err)
	}
}

func TestCloseCodesBothWays(t *testing.T) {
	for _, code := range []websocket.StatusCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999} {
		got := make(chan error, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			_, _, err = c.Read(context.Background())
			got <- err
		}))
		c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err := c.Close(code, "reason é"); err != nil {
			t.Fatalf("close %d: %v", code, err)
		}
		err := <-got
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code || ce.Reason != "reason é" || ce.Local {
			t.Fatalf("server saw %v, want close %d", err, code)
		}
		srv.Close()
	}
}

func TestReadTimeoutKeepsConnectionUsable(t *testing.T) {
	url := echoServer(t, nil)
	c := dial(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, _, err := c.Read(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want deadline exceeded", err)
	}
	if err := c.Write(context.Background(), websocket.MessageText, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	_, p, err := c.Read(context.Background())
	if err != nil || string(p) != "still here" {
		t.Fatalf("after timeout: %q, %v", p, err)
	}
}

func TestSubprotocol(t *testing.T) {
	url := echoServer(t, &websocket.AcceptOptions{Subprotocols: []string{"superchat", "chat"}})
	c := dial(t, url, &websocket.DialOptions{Subprotocols: []string{"chat", "superchat"}})
	if got := c.Subprotocol(); got != "superchat" {
		t.Fatalf("subprotocol %q, want superchat", got)
	}
}
