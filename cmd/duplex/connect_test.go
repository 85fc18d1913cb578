package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// connectResult is how a run of duplex connect ended.
type connectResult struct {
	err            error
	stdout, stderr string
}

// runConnectWith runs duplex connect with args and stdin and waits for
// it to end.
func runConnectWith(t *testing.T, ctx context.Context, stdin io.Reader, args ...string) connectResult {
	t.Helper()
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() { done <- connect(ctx, args, stdin, &stdout, &stderr) }()
	select {
	case err := <-done:
		return connectResult{err, stdout.String(), stderr.String()}
	case <-time.After(2 * chatTimeout):
		t.Fatalf("connect %q did not end; stderr:\n%s", args, stderr.String())
	}
	panic("unreachable")
}

// startConnect runs duplex connect in the background with a pipe for
// stdin; the pipe is closed when the test ends.
func startConnect(t *testing.T, ctx context.Context, args ...string) (*io.PipeWriter, *lockedBuffer, *lockedBuffer, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- connect(ctx, args, pr, stdout, stderr) }()
	return pw, stdout, stderr, done
}

func waitConnect(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * chatTimeout):
		t.Fatal("connect did not end")
	}
	panic("unreachable")
}

func TestConnectPipedLines(t *testing.T) {
	s := startChat(t, serveConfig{})
	r := runConnectWith(t, context.Background(), strings.NewReader("hello\nworld \u2713\r\n"), "--grace", "300ms", s.wsURL())
	if r.err != nil {
		t.Fatalf("connect: %v; stderr:\n%s", r.err, r.stderr)
	}
	if want := welcomeMessage + "\nhello\nworld \u2713\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	if !strings.Contains(r.stderr, "closed: 1000 (normal closure)") {
		t.Errorf("stderr does not report the normal closure:\n%s", r.stderr)
	}
}

// TestConnectCompressed chats through a compressing server with
// duplex connect --compress.
func TestConnectCompressed(t *testing.T) {
	s := startChat(t, serveConfig{accept: websocket.AcceptOptions{
		ReadLimit:   64 << 10,
		Compression: &websocket.CompressionOptions{ServerNoContextTakeover: true},
	}})
	long := strings.Repeat("compressible ", 100)
	r := runConnectWith(t, context.Background(), strings.NewReader(long+"\n"), "--compress", "--grace", "300ms", s.wsURL())
	if r.err != nil {
		t.Fatalf("connect: %v; stderr:\n%s", r.err, r.stderr)
	}
	if !strings.Contains(r.stderr, "extensions permessage-deflate; server_no_context_takeover") {
		t.Errorf("stderr does not show the negotiated extension:\n%s", r.stderr)
	}
	if want := welcomeMessage + "\n" + long + "\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
}

// TestConnectChatsWithAnotherClient has duplex connect and a Go client
// talk through the chat, with a pipe for connect's input.
func TestConnectChatsWithAnotherClient(t *testing.T) {
	s := startChat(t, serveConfig{})
	bob := s.join(t)
	stdin, stdout, _, done := startConnect(t, context.Background(), "--grace", "200ms", s.wsURL())
	stdout.waitFor(t, welcomeMessage)
	if _, err := io.WriteString(stdin, "alice: hi bob\n"); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, bob); got != "alice: hi bob" {
		t.Fatalf("bob got %q", got)
	}
	say(t, bob, "bob: hi alice")
	stdout.waitFor(t, "bob: hi alice\n")
	stdin.Close()
	if err := waitConnect(t, done); err != nil {
		t.Errorf("connect: %v", err)
	}
	if want := welcomeMessage + "\nalice: hi bob\nbob: hi alice\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	checkNoGoroutines(t, "main.printMessages", "main.sendLines", "main.runConversation")
}

func TestConnectServerGoingAway(t *testing.T) {
	s := startChat(t, serveConfig{})
	_, stdout, _, done := startConnect(t, context.Background(), s.wsURL())
	stdout.waitFor(t, welcomeMessage)
	s.stop()
	err := waitConnect(t, done)
	if err == nil || !strings.Contains(err.Error(), "closed by server: 1001 (going away)") || !strings.Contains(err.Error(), "server shutting down") {
		t.Errorf("connect: %v, want an error with the close code and reason", err)
	}
}

func TestConnectInterrupted(t *testing.T) {
	s := startChat(t, serveConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	_, stdout, stderr, done := startConnect(t, ctx, "--ping", "20ms", s.wsURL())
	stdout.waitFor(t, welcomeMessage)
	time.Sleep(100 * time.Millisecond) // a few keep-alive pings
	cancel()
	if err := waitConnect(t, done); err != nil {
		t.Errorf("connect after an interrupt: %v, want a normal closure", err)
	}
	if !strings.Contains(stderr.String(), "closed: 1000") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func TestConnectBinary(t *testing.T) {
	url, _, _ := startEcho(t)
	for format, want := range map[string]string{"hex": "68656c6c6f\n", "base64": "aGVsbG8=\n"} {
		r := runConnectWith(t, context.Background(), strings.NewReader("hello\n"), "--binary", "--binary-format", format, "--grace", "200ms", url)
		if r.err != nil || r.stdout != want {
			t.Errorf("--binary-format %s: stdout %q, err %v; want %q", format, r.stdout, r.err, want)
		}
	}
}

// TestConnectHeaders checks that -H, --origin and --subprotocol reach
// the server, and that flags may follow the URL.
func TestConnectHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"chat"}, InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		report, _ := json.Marshal(map[string]any{
			"token":  r.Header.Get("X-Token"),
			"multi":  r.Header.Values("X-Multi"),
			"origin": r.Header.Get("Origin"),
		})
		c.Write(r.Context(), websocket.MessageText, report)
		c.Close(websocket.StatusNormalClosure, "bye")
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
	r := runConnectWith(t, context.Background(), strings.NewReader(""),
		"-H", "X-Token: secret", url, "-H", "X-Multi: a", "-H", "X-Multi:b",
		"--origin", "https://example.test", "--subprotocol", "other", "--subprotocol", "chat")
	if r.err != nil {
		t.Fatalf("connect: %v; stderr:\n%s", r.err, r.stderr)
	}
	want := `{"multi":["a","b"],"origin":"https://example.test","token":"secret"}` + "\n"
	if r.stdout != want {
		t.Errorf("server saw %s, want %s", r.stdout, want)
	}
	if !strings.Contains(r.stderr, `(subprotocol "chat")`) {
		t.Errorf("stderr does not name the subprotocol:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, `closed by server: 1000 (normal closure) "bye"`) {
		t.Errorf("stderr does not report the server's close:\n%s", r.stderr)
	}
}

func TestConnectAbnormalCloseFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.Close(4001, "custom reason")
	}))
	defer srv.Close()
	r := runConnectWith(t, context.Background(), strings.NewReader(""), "ws"+strings.TrimPrefix(srv.URL, "http"))
	if r.err == nil || !strings.Contains(r.err.Error(), `closed by server: 4001 "custom reason"`) {
		t.Errorf("connect: %v, want an error with 4001 and its reason", r.err)
	}
}

func TestConnectInsecure(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.Write(r.Context(), websocket.MessageText, []byte("secure hello"))
		c.Close(websocket.StatusNormalClosure, "")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	url := "wss" + strings.TrimPrefix(srv.URL, "https")
	r := runConnectWith(t, context.Background(), strings.NewReader(""), url)
	if r.err == nil || !strings.Contains(r.err.Error(), "certificate") {
		t.Errorf("connect to a self-signed server: %v, want a certificate error", r.err)
	}
	r = runConnectWith(t, context.Background(), strings.NewReader(""), "--insecure", url)
	if r.err != nil || r.stdout != "secure hello\n" {
		t.Errorf("connect --insecure: stdout %q, err %v", r.stdout, r.err)
	}
	if !strings.Contains(r.stderr, "warning: --insecure") {
		t.Errorf("no warning for --insecure:\n%s", r.stderr)
	}
}

func TestConnectRefusedHandshake(t *testing.T) {
	s := startChat(t, serveConfig{})
	r := runConnectWith(t, context.Background(), strings.NewReader(""), "ws://"+s.addr+"/nope")
	if r.err == nil || !strings.Contains(r.err.Error(), "404") {
		t.Errorf("connect to a 404: %v", r.err)
	}
}

func TestConnectUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"ws://a/", "ws://b/"},
		{"-H", "no colon", "ws://a/"},
		{"-H", ": empty name", "ws://a/"},
		{"--binary-format", "octal", "ws://a/"},
		{"--grace", "-1s", "ws://a/"},
		{"--bogus", "ws://a/"},
	} {
		r := runConnectWith(t, context.Background(), strings.NewReader(""), args...)
		if r.err != errUsage || r.stderr == "" {
			t.Errorf("connect %q: %v, stderr %q; want a usage error", args, r.err, r.stderr)
		}
	}
	r := runConnectWith(t, context.Background(), strings.NewReader(""), "-h")
	if r.err != nil || !strings.Contains(r.stderr, "usage: duplex connect") {
		t.Errorf("connect -h: %v, stderr %q", r.err, r.stderr)
	}
}

// brokenWriter fails every write, like a closed pipe.
type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestConnectOutputFails(t *testing.T) {
	s := startChat(t, serveConfig{})
	pr, pw := io.Pipe()
	defer pw.Close()
	done := make(chan error, 1)
	go func() { done <- connect(context.Background(), []string{s.wsURL()}, pr, brokenWriter{}, io.Discard) }()
	err := waitConnect(t, done)
	if err == nil || !strings.Contains(err.Error(), "writing output") {
		t.Errorf("connect with a broken stdout: %v, want an output error", err)
	}
}
