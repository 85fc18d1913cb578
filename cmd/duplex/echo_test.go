package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

func startEcho(t *testing.T) (string, context.CancelFunc, chan error) {
	return startEchoWith(t, &websocket.AcceptOptions{ReadLimit: 1 << 30})
}

func startEchoWith(t *testing.T, opts *websocket.AcceptOptions) (string, context.CancelFunc, chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveEcho(ctx, ln, opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(cancel)
	return "ws://" + ln.Addr().String(), cancel, done
}

func TestEchoServer(t *testing.T) {
	url, _, _ := startEcho(t)
	testEcho(t, url, nil)
}

func TestEchoServerCompressed(t *testing.T) {
	url, _, _ := startEchoWith(t, &websocket.AcceptOptions{ReadLimit: 1 << 30, Compression: &websocket.CompressionOptions{}})
	testEcho(t, url, &websocket.CompressionOptions{})
}

func testEcho(t *testing.T, url string, compression *websocket.CompressionOptions) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url+"/any/path", &websocket.DialOptions{ReadLimit: 1 << 30, Compression: compression})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if (compression != nil) != strings.HasPrefix(c.Extensions(), "permessage-deflate") {
		t.Fatalf("extensions %q", c.Extensions())
	}
	for _, n := range []int{0, 10, echoChunk - 1, echoChunk, echoChunk + 1, 3 << 20} {
		for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
			msg := bytes.Repeat([]byte("x"), n)
			if err := c.Write(ctx, typ, msg); err != nil {
				t.Fatal(err)
			}
			gotTyp, got, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if gotTyp != typ || !bytes.Equal(got, msg) {
				t.Fatalf("size %d: got %v, %d bytes", n, gotTyp, len(got))
			}
		}
	}
}

func TestEchoServerShutdownSendsGoingAway(t *testing.T) {
	url, stop, done := startEcho(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Read(ctx); err != nil {
		t.Fatal(err)
	}
	stop()
	_, _, err = c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("got %v, want close 1001", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serveEcho returned %v", err)
		}
	case <-ctx.Done():
		t.Fatal("server did not stop")
	}
}

// TestTestee runs the client testee against a small server that speaks
// the conformance-server protocol: each case sends messages and expects
// them back.
func TestTestee(t *testing.T) {
	const cases = 3
	var mu sync.Mutex
	echoed := map[string]int{}
	var reported string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		switch r.URL.Path {
		case "/getCaseCount":
			c.Write(ctx, websocket.MessageText, []byte(strconv.Itoa(cases)))
			c.Close(websocket.StatusNormalClosure, "")
		case "/runCase":
			n, _ := strconv.Atoi(r.URL.Query().Get("case"))
			for i := 0; i < n; i++ {
				msg := []byte(strings.Repeat("m", i*1000))
				c.Write(ctx, websocket.MessageBinary, msg)
				_, got, err := c.Read(ctx)
				if err == nil && bytes.Equal(got, msg) {
					mu.Lock()
					echoed[r.URL.Query().Get("agent")]++
					mu.Unlock()
				}
			}
			c.Close(websocket.StatusNormalClosure, "")
		case "/updateReports":
			mu.Lock()
			reported = r.URL.Query().Get("agent")
			mu.Unlock()
			c.Close(websocket.StatusNormalClosure, "")
		}
	}))
	defer srv.Close()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := runTestee(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), "tester", &websocket.DialOptions{ReadLimit: 1 << 20}, &out)
	if err != nil {
		t.Fatal(err, out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if echoed["tester"] != 1+2+3 || reported != "tester" {
		t.Fatalf("echoed %v, reported %q; output:\n%s", echoed, reported, out.String())
	}
}

func TestRunUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "echo") {
		t.Fatalf("no args: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"nope"}, &out, &errOut); code != 2 {
		t.Fatalf("unknown command: exit %d", code)
	}
	if code := run(context.Background(), []string{"echo", "--bogus"}, &out, &errOut); code != 2 {
		t.Fatalf("bad flag: exit %d", code)
	}
}
