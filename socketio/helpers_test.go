package socketio_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/socketio"
	"github.com/duplexrt/duplex/websocket"
)

// quietLogger drops what the server logs, so that tests that provoke
// warnings keep their output readable.
var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// newTestServer starts a Socket.IO server at /socket.io/ of an httptest
// server. Both are shut down at the end of the test, and the test fails
// if goroutines of the server are left behind.
func newTestServer(t *testing.T, opts *socketio.Options) (*socketio.Server, *httptest.Server) {
	t.Helper()
	if opts == nil {
		opts = &socketio.Options{}
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger
	}
	srv := socketio.NewServer(opts)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		hs.Close()
		checkNoLeaks(t)
	})
	return srv, hs
}

// checkNoLeaks waits for the goroutines of the packages under test to end.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		left = leakedGoroutines()
		if len(left) == 0 {
			return
		}
	}
	t.Errorf("%d goroutines left behind:\n%s", len(left), strings.Join(left, "\n\n"))
}

func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "testing.tRunner") || strings.Contains(g, "testing.(*T).Run") || pollerIdle(g) {
			continue
		}
		if strings.Contains(g, "duplex/socketio.") || strings.Contains(g, "duplex/engineio.") || strings.Contains(g, "duplex/websocket.") {
			left = append(left, g)
		}
	}
	return left
}

// pollerIdle reports whether stack g is the loop of package websocket's
// poller, which serves every served connection of the process and
// outlives any one of them. (Its idle workers run no code of this
// module's packages but internal/gopool.)
func pollerIdle(g string) bool {
	return strings.Contains(g, "websocket.(*poller).loop")
}

// A wsClient speaks Engine.IO and Socket.IO by hand over a WebSocket, as
// the protocol test suite does. It answers pings unless told not to.
type wsClient struct {
	t       *testing.T
	conn    *websocket.Conn
	sid     string // the Engine.IO session id
	noPong  bool
	pending []msg
}

type msg struct {
	data   string
	binary bool
}

func dialWS(t *testing.T, hs *httptest.Server) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c := &wsClient{t: t, conn: conn}
	t.Cleanup(func() { conn.CloseNow() })
	open := c.read()
	if !strings.HasPrefix(open.data, "0{") {
		t.Fatalf("open packet %q", open.data)
	}
	var hs0 struct{ Sid string }
	json.Unmarshal([]byte(open.data[1:]), &hs0)
	c.sid = hs0.Sid
	return c
}

// connect joins a namespace ("/" or "/name") and returns the socket id.
func (c *wsClient) connect(nsp string, auth string) string {
	c.t.Helper()
	prefix := ""
	if nsp != "/" {
		prefix = nsp + ","
	}
	c.send("40" + prefix + auth)
	m := c.read()
	if !strings.HasPrefix(m.data, "40"+prefix+"{") {
		c.t.Fatalf("CONNECT answered with %q", m.data)
	}
	var v struct{ Sid string }
	if err := json.Unmarshal([]byte(m.data[len("40"+prefix):]), &v); err != nil || v.Sid == "" {
		c.t.Fatalf("CONNECT answer %q: %v", m.data, err)
	}
	return v.Sid
}

func (c *wsClient) send(text string) {
	c.t.Helper()
	if err := c.conn.Write(context.Background(), websocket.MessageText, []byte(text)); err != nil {
		c.t.Fatalf("Write(%.80q): %v", text, err)
	}
}

func (c *wsClient) sendBinary(b []byte) {
	c.t.Helper()
	if err := c.conn.Write(context.Background(), websocket.MessageBinary, b); err != nil {
		c.t.Fatalf("Write binary: %v", err)
	}
}

// next returns the next message that is not a ping, answering pings.
func (c *wsClient) next(d time.Duration) (msg, error) {
	if len(c.pending) > 0 {
		m := c.pending[0]
		c.pending = c.pending[1:]
		return m, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		typ, p, err := c.conn.Read(ctx)
		if err != nil {
			return msg{}, err
		}
		if typ == websocket.MessageText && string(p) == "2" {
			if !c.noPong {
				c.conn.Write(context.Background(), websocket.MessageText, []byte("3"))
			}
			continue
		}
		return msg{string(p), typ == websocket.MessageBinary}, nil
	}
}

func (c *wsClient) read() msg {
	c.t.Helper()
	m, err := c.next(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// expect reads the next message and checks it.
func (c *wsClient) expect(want string) {
	c.t.Helper()
	if m := c.read(); m.data != want || m.binary {
		c.t.Fatalf("got %q (binary %v), want %q", m.data, m.binary, want)
	}
}

func (c *wsClient) expectBinary(want []byte) {
	c.t.Helper()
	if m := c.read(); m.data != string(want) || !m.binary {
		c.t.Fatalf("got %q (binary %v), want binary %q", m.data, m.binary, want)
	}
}

// expectNothing checks that no message comes for a while.
func (c *wsClient) expectNothing(d time.Duration) {
	c.t.Helper()
	m, err := c.next(d)
	if err == nil {
		c.t.Fatalf("unexpected message %q", m.data)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		c.t.Fatalf("connection failed: %v", err)
	}
}

// expectClosed reads until the connection closes.
func (c *wsClient) expectClosed() {
	c.t.Helper()
	for {
		m, err := c.next(5 * time.Second)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				c.t.Fatal("connection still open")
			}
			return
		}
		if m.data == "1" { // the Engine.IO close packet
			continue
		}
	}
}

// A recorder collects strings from handlers, for tests to wait on.
type recorder chan string

func newRecorder() recorder { return make(recorder, 100) }

func (r recorder) add(format string, args ...any) { r <- fmt.Sprintf(format, args...) }

func (r recorder) wait(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-r:
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no %q", want)
	}
}

// pollingClient speaks Engine.IO long-polling by hand.
type pollingClient struct {
	t   *testing.T
	url string
	sid string
}

func dialPolling(t *testing.T, hs *httptest.Server) *pollingClient {
	t.Helper()
	c := &pollingClient{t: t, url: hs.URL + "/socket.io/?EIO=4&transport=polling"}
	body := c.get()
	if !strings.HasPrefix(body, "0{") {
		t.Fatalf("handshake %q", body)
	}
	var v struct{ Sid string }
	json.Unmarshal([]byte(body[1:]), &v)
	c.sid = v.Sid
	c.url += "&sid=" + v.Sid
	return c
}

func (c *pollingClient) get() string {
	c.t.Helper()
	resp, err := http.Get(c.url)
	if err != nil {
		c.t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET: %s %s", resp.Status, b)
	}
	return string(b)
}

func (c *pollingClient) post(payload string) {
	c.t.Helper()
	resp, err := http.Post(c.url, "text/plain;charset=UTF-8", strings.NewReader(payload))
	if err != nil {
		c.t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) != "ok" {
		c.t.Fatalf("POST: %s %q", resp.Status, b)
	}
}

// packets polls until at least n packets have come, ignoring pings.
func (c *pollingClient) packets(n int) []string {
	c.t.Helper()
	var out []string
	for len(out) < n {
		for _, p := range strings.Split(c.get(), "\x1e") {
			if p != "2" {
				out = append(out, p)
			}
		}
	}
	return out
}

// engineOptions returns Engine.IO options for tests: quick heartbeats.
func engineOptions() *engineio.Options {
	return &engineio.Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond}
}
