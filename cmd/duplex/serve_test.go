package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// chatTimeout bounds each wait in the serve and connect tests.
const chatTimeout = 10 * time.Second

// lockedBuffer is a bytes.Buffer for output written by several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls until b contains s.
func (b *lockedBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(chatTimeout)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %v in:\n%s", s, chatTimeout, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkNoGoroutines fails the test if, after a short while, a goroutine
// still runs a function whose qualified name contains one of names.
func checkNoGoroutines(t *testing.T, names ...string) {
	t.Helper()
	deadline := time.Now().Add(chatTimeout)
	for {
		buf := make([]byte, 1<<20)
		stacks := strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n")
		var left []string
		for _, g := range stacks {
			for _, name := range names {
				if strings.Contains(g, name) {
					left = append(left, g)
					break
				}
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left behind:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// chatTest is a chat server running for one test.
type chatTest struct {
	addr string // host:port
	logs *lockedBuffer
	stop context.CancelFunc
	done chan error // serveChat's result
}

func (s *chatTest) wsURL() string   { return "ws://" + s.addr + "/" }
func (s *chatTest) httpURL() string { return "http://" + s.addr }

// startChat runs serveChat on a free port until the test ends.
func startChat(t *testing.T, cfg serveConfig) *chatTest {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.accept.ReadLimit == 0 {
		cfg.accept.ReadLimit = 64 << 10
	}
	if cfg.shutdownTimeout == 0 {
		cfg.shutdownTimeout = chatTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &chatTest{addr: ln.Addr().String(), logs: &lockedBuffer{}, stop: cancel, done: make(chan error, 1)}
	log := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { s.done <- serveChat(ctx, ln, cfg, log) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(2 * chatTimeout):
			t.Error("serveChat did not return after its context ended")
		}
	})
	return s
}

// join dials the chat and reads the welcome.
func (s *chatTest) join(t *testing.T) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.wsURL(), nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if got := readText(t, c); got != welcomeMessage {
		t.Fatalf("first message %q, want the welcome", got)
	}
	return c
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
	defer cancel()
	typ, p, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("got a %v message, want text", typ)
	}
	return string(p)
}

func say(t *testing.T, c *websocket.Conn, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// readClose reads until the connection ends and returns the close error.
func readClose(t *testing.T, c *websocket.Conn) *websocket.CloseError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
	defer cancel()
	for {
		_, p, err := c.Read(ctx)
		if err == nil {
			t.Logf("message before the close: %.40q", p)
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("Read: %v, want a close", err)
		}
		return ce
	}
}

func httpGet(t *testing.T, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Timeout: chatTimeout}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestServeRoutes(t *testing.T) {
	s := startChat(t, serveConfig{})
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/", http.StatusOK, `new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/")`},
		{"/?room=x", http.StatusOK, "<!doctype html>"},
		{"/healthz", http.StatusOK, "ok"},
		{"/nope", http.StatusNotFound, ""},
		{"/index.html", http.StatusNotFound, ""},
		{"/healthz/x", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		resp, body := httpGet(t, s.httpURL()+tt.path, nil)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.body) {
			t.Errorf("GET %s: %d %.60q, want %d with %q", tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
	}
	resp, err := http.Post(s.httpURL()+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", resp.StatusCode)
	}
	s.logs.waitFor(t, "msg=request method=GET path=/nope status=404")
	if strings.Contains(s.logs.String(), "room=x") {
		t.Errorf("a query string was logged:\n%s", s.logs.String())
	}
}

func TestServeBrokenUpgrade(t *testing.T) {
	s := startChat(t, serveConfig{})
	h := http.Header{
		"Upgrade":               {"websocket"},
		"Connection":            {"Upgrade"},
		"Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key":     {"not a key"},
	}
	resp, body := httpGet(t, s.httpURL()+"/", h)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Sec-WebSocket-Key") {
		t.Errorf("upgrade with a bad key: %d %q, want 400 naming Sec-WebSocket-Key", resp.StatusCode, body)
	}
	h.Set("Sec-Websocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	h.Set("Sec-Websocket-Version", "8")
	resp, body = httpGet(t, s.httpURL()+"/", h)
	if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Sec-WebSocket-Version") != "13" {
		t.Errorf("upgrade with version 8: %d %q, want 426 with Sec-WebSocket-Version: 13", resp.StatusCode, body)
	}
	s.logs.waitFor(t, "websocket handshake refused")
}

func TestServeChat(t *testing.T) {
	s := startChat(t, serveConfig{})
	alice, bob := s.join(t), s.join(t)
	say(t, alice, "alice: hi bob")
	for _, c := range []*websocket.Conn{alice, bob} {
		if got := readText(t, c); got != "alice: hi bob" {
			t.Errorf("got %q, want alice's message", got)
		}
	}
	say(t, bob, "bob: hi alice \u2713")
	say(t, bob, "bob: second")
	for _, c := range []*websocket.Conn{alice, bob} {
		for _, want := range []string{"bob: hi alice \u2713", "bob: second"} {
			if got := readText(t, c); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		}
	}
	s.logs.waitFor(t, "connection open")
}

func TestServeOversizedMessage(t *testing.T) {
	const limit = 1024
	s := startChat(t, serveConfig{accept: websocket.AcceptOptions{ReadLimit: limit}})
	alice, bob, mallory := s.join(t), s.join(t), s.join(t)
	say(t, mallory, strings.Repeat("x", limit+1))
	if ce := readClose(t, mallory); ce.Code != websocket.StatusMessageTooBig {
		t.Errorf("oversized message: closed with %v, want 1009", ce)
	}
	// The others keep chatting and never see the oversized message.
	say(t, alice, "alice: still here")
	for _, c := range []*websocket.Conn{alice, bob} {
		if got := readText(t, c); got != "alice: still here" {
			t.Errorf("got %.40q, want alice's message", got)
		}
	}
	s.logs.waitFor(t, "code=1009")
}

func TestServeRefusesBinary(t *testing.T) {
	s := startChat(t, serveConfig{})
	c := s.join(t)
	ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if ce := readClose(t, c); ce.Code != websocket.StatusUnsupportedData {
		t.Errorf("binary message: closed with %v, want 1003", ce)
	}
}

func TestServeRefusesOtherOrigins(t *testing.T) {
	s := startChat(t, serveConfig{accept: websocket.AcceptOptions{OriginPatterns: []string{"chat.example"}}})
	ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
	defer cancel()
	for origin, ok := range map[string]bool{"https://evil.example": false, "https://chat.example": true} {
		c, resp, err := websocket.Dial(ctx, s.wsURL(), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		if ok && err != nil {
			t.Errorf("Origin %s: %v, want accepted", origin, err)
		}
		if !ok && (err == nil || resp == nil || resp.StatusCode != http.StatusForbidden) {
			t.Errorf("Origin %s: err %v, want 403", origin, err)
		}
		if c != nil {
			c.CloseNow()
		}
	}
}

func TestServeShutdownSendsGoingAway(t *testing.T) {
	s := startChat(t, serveConfig{})
	conns := []*websocket.Conn{s.join(t), s.join(t), s.join(t)}
	s.stop()
	for i, c := range conns {
		if ce := readClose(t, c); ce.Code != websocket.StatusGoingAway {
			t.Errorf("client %d: closed with %v, want 1001", i, ce)
		}
	}
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		if err != nil {
			t.Errorf("serveChat returned %v, want nil", err)
		}
	case <-time.After(chatTimeout):
		t.Fatal("serveChat did not return after shutdown")
	}
	// Nothing listens any more.
	if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		c.Close()
		t.Error("the server still accepts connections after shutdown")
	}
	s.logs.waitFor(t, "msg=stopped")
	checkNoGoroutines(t, "main.(*chatServer)", "main.serveChat", "/internal/chat.")
}
