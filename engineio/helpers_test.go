package engineio_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/websocket"
)

// timeout bounds one step of a test: a request, a message, an event.
const timeout = 10 * time.Second

// checkLeaks fails the test if goroutines running code of package engineio
// or websocket are still there at its end (after the other cleanups),
// allowing a few seconds for closing handshakes to finish.
func checkLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		deadline := time.Now().Add(8 * time.Second)
		for {
			left := leakedGoroutines()
			if len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines left behind:\n\n%s", len(left), strings.Join(left, "\n\n"))
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func leakedGoroutines() []string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if pollerIdle(g) {
			continue
		}
		if strings.Contains(g, "duplex/engineio.") || strings.Contains(g, "duplex/websocket.") {
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

// msg is a message a session received.
type msg struct {
	data   string
	binary bool
}

// closeEvent is a session's OnClose call.
type closeEvent struct {
	reason string
	err    error
}

// peer is the server's side of one session, as the tests watch it.
type peer struct {
	s      *engineio.Session
	msgs   chan msg
	closed chan closeEvent
}

// nextMsg returns the session's next message.
func (p *peer) nextMsg(t *testing.T) msg {
	t.Helper()
	select {
	case m := <-p.msgs:
		return m
	case <-time.After(timeout):
		t.Fatal("no message")
		return msg{}
	}
}

// waitClose returns the session's OnClose call.
func (p *peer) waitClose(t *testing.T) closeEvent {
	t.Helper()
	select {
	case ev := <-p.closed:
		return ev
	case <-time.After(timeout):
		t.Fatal("OnClose was not called")
		return closeEvent{}
	}
}

// wantClose checks the reason of the session's OnClose call.
func (p *peer) wantClose(t *testing.T, reason string) closeEvent {
	t.Helper()
	ev := p.waitClose(t)
	if ev.reason != reason {
		t.Fatalf("OnClose reason %q (err %v), want %q", ev.reason, ev.err, reason)
	}
	return ev
}

// testServer is an engineio.Server behind httptest, with a client.
type testServer struct {
	srv    *engineio.Server
	ts     *httptest.Server
	url    string // the Engine.IO endpoint, http://host/engine.io/
	client *http.Client
	peers  chan *peer
	echo   bool
}

// newServer starts a Server with opts, whose sessions are reported on
// peers; with echo, they send every message back. The server shuts down,
// and the test checks for goroutines left behind, at its end.
func newServer(t *testing.T, opts *engineio.Options, echo bool) *testServer {
	t.Helper()
	checkLeaks(t)
	if opts == nil {
		opts = &engineio.Options{}
	}
	ts := &testServer{peers: make(chan *peer, 16), echo: echo}
	if opts.OnSession == nil {
		opts.OnSession = ts.onSession
	}
	ts.srv = engineio.NewServer(opts)
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", ts.srv)
	ts.ts = httptest.NewServer(mux)
	ts.url = ts.ts.URL + "/engine.io/"
	ts.client = &http.Client{Timeout: timeout, Transport: &http.Transport{}}
	t.Cleanup(func() {
		ts.client.CloseIdleConnections()
		ts.ts.Close()
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := ts.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return ts
}

func (ts *testServer) onSession(s *engineio.Session) {
	p := &peer{s: s, msgs: make(chan msg, 64), closed: make(chan closeEvent, 1)}
	s.OnMessage(func(data []byte, binary bool) {
		if ts.echo {
			s.Send(data, binary)
		}
		p.msgs <- msg{string(data), binary}
	})
	s.OnClose(func(reason string, err error) { p.closed <- closeEvent{reason, err} })
	ts.peers <- p
}

// nextPeer returns the next session the server opened.
func (ts *testServer) nextPeer(t *testing.T) *peer {
	t.Helper()
	select {
	case p := <-ts.peers:
		return p
	case <-time.After(timeout):
		t.Fatal("no session opened")
		return nil
	}
}

// response is what a request got.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request to the endpoint with query and returns the response.
func (ts *testServer) do(t *testing.T, method, query, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+"?"+query, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	return ts.send(t, req)
}

func (ts *testServer) send(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

// handshakeData is the open packet's JSON.
type handshakeData struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

// parseOpen decodes an open packet, checking that its JSON has exactly
// the five keys of the spec.
func parseOpen(t *testing.T, packet string) handshakeData {
	t.Helper()
	if !strings.HasPrefix(packet, "0") {
		t.Fatalf("open packet %q does not start with 0", packet)
	}
	var keys map[string]any
	if err := json.Unmarshal([]byte(packet[1:]), &keys); err != nil {
		t.Fatalf("open packet %q: %v", packet, err)
	}
	if len(keys) != 5 {
		t.Errorf("open packet has keys %v, want exactly sid, upgrades, pingInterval, pingTimeout, maxPayload", keys)
	}
	var hs handshakeData
	if err := json.Unmarshal([]byte(packet[1:]), &hs); err != nil {
		t.Fatalf("open packet %q: %v", packet, err)
	}
	return hs
}

// open makes a polling handshake and returns the sid and the server's
// side of the session.
func (ts *testServer) open(t *testing.T) (string, *peer) {
	t.Helper()
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	if res.status != http.StatusOK {
		t.Fatalf("handshake: %d %s", res.status, res.body)
	}
	return parseOpen(t, res.body).SID, ts.nextPeer(t)
}

// poll sends a GET for session sid.
func (ts *testServer) poll(t *testing.T, sid string) response {
	t.Helper()
	return ts.do(t, "GET", "EIO=4&transport=polling&sid="+sid, "")
}

// push sends a POST with body for session sid.
func (ts *testServer) push(t *testing.T, sid, body string) response {
	t.Helper()
	return ts.do(t, "POST", "EIO=4&transport=polling&sid="+sid, body)
}

// pollAsync sends a GET in the background; its response comes on the
// channel.
func (ts *testServer) pollAsync(t *testing.T, sid string) <-chan response {
	ch := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest("GET", ts.url+"?EIO=4&transport=polling&sid="+sid, nil)
		res, err := ts.client.Do(req)
		if err != nil {
			ch <- response{status: -1, body: err.Error()}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		ch <- response{res.StatusCode, res.Header, string(b)}
	}()
	return ch
}

// await returns the response of an asynchronous request.
func await(t *testing.T, ch <-chan response) response {
	t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(timeout):
		t.Fatal("no response")
		return response{}
	}
}

// waitFor waits until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// wantError checks a JSON error response.
func wantError(t *testing.T, res response, status, code int, message string) {
	t.Helper()
	want, _ := json.Marshal(map[string]any{"code": code, "message": message})
	var got, exp any
	json.Unmarshal([]byte(res.body), &got)
	json.Unmarshal(want, &exp)
	if res.status != status || res.header.Get("Content-Type") != "application/json" || !jsonEqual(got, exp) {
		t.Fatalf("got %d %q (%s), want %d %s (application/json)", res.status, res.body, res.header.Get("Content-Type"), status, want)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// wsURL returns the WebSocket URL of the endpoint with query.
func (ts *testServer) wsURL(query string) string {
	return "ws" + strings.TrimPrefix(ts.url, "http") + "?" + query
}

// dial opens a WebSocket to the endpoint with query.
func (ts *testServer) dial(t *testing.T, query string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, ts.wsURL(query), opts)
	if err != nil {
		t.Fatalf("Dial %s: %v", query, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// dialError opens a WebSocket that the server must refuse, and returns the
// status of the refusal.
func (ts *testServer) dialError(t *testing.T, query string, header http.Header) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, res, err := websocket.Dial(ctx, ts.wsURL(query), &websocket.DialOptions{HTTPHeader: header})
	if err == nil {
		c.CloseNow()
		t.Fatalf("Dial %s succeeded; want a refusal", query)
	}
	if res == nil {
		t.Fatalf("Dial %s: %v, without a response", query, err)
	}
	return res.StatusCode
}

// openWS opens a WebSocket session and returns the connection, the
// handshake and the server's side.
func (ts *testServer) openWS(t *testing.T, opts *websocket.DialOptions) (*websocket.Conn, handshakeData, *peer) {
	t.Helper()
	c := ts.dial(t, "EIO=4&transport=websocket", opts)
	typ, data := read(t, c)
	if typ != websocket.MessageText {
		t.Fatalf("first message is %v, want text", typ)
	}
	return c, parseOpen(t, data), ts.nextPeer(t)
}

// read reads one message.
func read(t *testing.T, c *websocket.Conn) (websocket.MessageType, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	typ, p, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return typ, string(p)
}

// readText reads one message, which must be text.
func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	typ, s := read(t, c)
	if typ != websocket.MessageText {
		t.Fatalf("got a %v message %q, want text", typ, s)
	}
	return s
}

// write sends one message.
func write(t *testing.T, c *websocket.Conn, typ websocket.MessageType, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := c.Write(ctx, typ, []byte(s)); err != nil {
		t.Fatalf("Write %q: %v", s, err)
	}
}

// drain reads from c in the background until the connection ends, so
// that it answers the server's close frame; the end comes on the channel.
func drain(c *websocket.Conn) <-chan error {
	ch := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				ch <- err
				return
			}
		}
	}()
	return ch
}

// readClose reads until the connection ends and returns the error.
func readClose(t *testing.T, c *websocket.Conn) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("the connection did not close")
			}
			return err
		}
	}
}
