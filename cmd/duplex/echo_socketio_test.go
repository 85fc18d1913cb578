package main

// Tests of duplex echo --socketio that speak Engine.IO and Socket.IO by
// hand, over websocket.Dial and raw long-polling requests, and check the
// exact packets the official protocol test suites expect.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// sioTestTimeout bounds every wait of these tests.
const sioTestTimeout = 10 * time.Second

// relaxedSocketIOEcho is a heartbeat that leaves the hand-written clients
// of these tests time to answer pings under the race detector; the
// heartbeat test uses the suites' own.
var relaxedSocketIOEcho = socketIOEchoConfig{
	pingInterval:   2 * time.Second,
	pingTimeout:    5 * time.Second,
	connectTimeout: 5 * time.Second,
}

// startSocketIOEcho serves the testee on a port of 127.0.0.1 and returns
// its base URL (http://HOST:PORT), a function that stops it, and the
// channel where serveSocketIOEcho's result arrives.
func startSocketIOEcho(t *testing.T, cfg socketIOEchoConfig) (string, context.CancelFunc, chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveSocketIOEcho(ctx, ln, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(sioTestTimeout):
			t.Error("the testee did not stop")
		}
	})
	return "http://" + ln.Addr().String(), cancel, done
}

// sioWS is a hand-written Engine.IO client over WebSocket: it answers the
// server's pings and hands the other messages to the test.
type sioWS struct {
	conn *websocket.Conn
	msgs chan sioMsg // closed when the connection ends
	err  error       // why it ended; read after msgs is closed
	ctx  context.Context
}

type sioMsg struct {
	typ  websocket.MessageType
	data []byte
}

// dialSIO opens a WebSocket session at path (/engine.io/ or /socket.io/)
// and returns the client with the open packet already read.
func dialSIO(t *testing.T, base, path string) (*sioWS, map[string]any) {
	t.Helper()
	// Longer than any single wait, so that expectClosed sees the server's
	// close, not the end of this context.
	ctx, cancel := context.WithTimeout(context.Background(), 3*sioTestTimeout)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	c := &sioWS{conn: conn, msgs: make(chan sioMsg, 64), ctx: ctx}
	go func() {
		defer close(c.msgs)
		for {
			typ, p, err := conn.Read(ctx)
			if err != nil {
				c.err = err
				return
			}
			if typ == websocket.MessageText && string(p) == "2" {
				if err := conn.Write(ctx, websocket.MessageText, []byte("3")); err != nil {
					c.err = err
					return
				}
				continue
			}
			c.msgs <- sioMsg{typ, bytes.Clone(p)}
		}
	}()
	open := c.next(t)
	if open.typ != websocket.MessageText || !bytes.HasPrefix(open.data, []byte("0")) {
		t.Fatalf("open packet: %v %q", open.typ, open.data)
	}
	var hs map[string]any
	if err := json.Unmarshal(open.data[1:], &hs); err != nil {
		t.Fatalf("open packet %q: %v", open.data, err)
	}
	return c, hs
}

func (c *sioWS) send(t *testing.T, typ websocket.MessageType, data string) {
	t.Helper()
	if err := c.conn.Write(c.ctx, typ, []byte(data)); err != nil {
		t.Fatalf("write %q: %v", data, err)
	}
}

func (c *sioWS) sendText(t *testing.T, data string) {
	t.Helper()
	c.send(t, websocket.MessageText, data)
}

// next returns the next message that is not a ping.
func (c *sioWS) next(t *testing.T) sioMsg {
	t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			t.Fatalf("connection ended: %v", c.err)
		}
		return m
	case <-time.After(sioTestTimeout):
		t.Fatal("no message")
	}
	return sioMsg{}
}

// expectText checks that the next message is the text want.
func (c *sioWS) expectText(t *testing.T, want string) {
	t.Helper()
	if m := c.next(t); m.typ != websocket.MessageText || string(m.data) != want {
		t.Fatalf("got %v %q, want text %q", m.typ, m.data, want)
	}
}

// expectBinary checks that the next message is the binary want.
func (c *sioWS) expectBinary(t *testing.T, want []byte) {
	t.Helper()
	if m := c.next(t); m.typ != websocket.MessageBinary || !bytes.Equal(m.data, want) {
		t.Fatalf("got %v %q, want binary %q", m.typ, m.data, want)
	}
}

// expectConnect checks the server's CONNECT answer for the namespace
// prefix ("" or "/custom,") and the "auth" event that follows it.
func (c *sioWS) expectConnect(t *testing.T, nsp, auth string) {
	t.Helper()
	m := c.next(t)
	prefix := "40" + nsp
	if !bytes.HasPrefix(m.data, []byte(prefix)) {
		t.Fatalf("got %q, want CONNECT %s{\"sid\":...}", m.data, prefix)
	}
	var payload map[string]any
	if err := json.Unmarshal(m.data[len(prefix):], &payload); err != nil || len(payload) != 1 || payload["sid"] == "" {
		t.Fatalf("CONNECT payload %q (%v), want exactly a sid", m.data[len(prefix):], err)
	}
	c.expectText(t, "42"+nsp+`["auth",`+auth+`]`)
}

// expectClosed waits until the server ends the connection.
func (c *sioWS) expectClosed(t *testing.T) {
	t.Helper()
	timer := time.After(sioTestTimeout)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return
			}
			t.Logf("before the close: %v %q", m.typ, m.data)
		case <-timer:
			t.Fatal("the server did not close the connection")
		}
	}
}

func TestSocketIOEchoEngineIOWebSocket(t *testing.T) {
	base, _, _ := startSocketIOEcho(t, relaxedSocketIOEcho)
	c, _ := dialSIO(t, base, "/engine.io/")
	c.sendText(t, "4hello \u20ac")
	c.expectText(t, "4hello \u20ac")
	c.sendText(t, "4")
	c.expectText(t, "4")
	c.send(t, websocket.MessageBinary, "\x00\x01\xff")
	c.expectBinary(t, []byte{0, 1, 0xff})
}

// sioPoller is a hand-written Engine.IO client over long-polling.
type sioPoller struct {
	url    string // with the sid
	client *http.Client
}

// openPolling makes a polling handshake at path and returns the client
// and the open packet's fields.
func openPolling(t *testing.T, base, path string) (*sioPoller, map[string]any) {
	t.Helper()
	p := &sioPoller{client: &http.Client{Timeout: sioTestTimeout}}
	body := p.do(t, http.MethodGet, base+path+"?EIO=4&transport=polling", "")
	if !strings.HasPrefix(body, "0") {
		t.Fatalf("handshake answered %q", body)
	}
	var hs map[string]any
	if err := json.Unmarshal([]byte(body[1:]), &hs); err != nil {
		t.Fatalf("handshake %q: %v", body, err)
	}
	sid, _ := hs["sid"].(string)
	p.url = base + path + "?EIO=4&transport=polling&sid=" + sid
	return p, hs
}

func (p *sioPoller) do(t *testing.T, method, url, body string) string {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %q", method, url, resp.Status, b)
	}
	return string(b)
}

func (p *sioPoller) post(t *testing.T, packets ...string) {
	t.Helper()
	if got := p.do(t, http.MethodPost, p.url, strings.Join(packets, "\x1e")); got != "ok" {
		t.Fatalf("POST answered %q", got)
	}
}

// poll returns the packets of GETs until it has n that are not pings,
// answering the pings.
func (p *sioPoller) poll(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		for _, pkt := range strings.Split(p.do(t, http.MethodGet, p.url, ""), "\x1e") {
			if pkt == "2" {
				p.post(t, "3")
				continue
			}
			got = append(got, pkt)
		}
	}
	return got
}

func TestSocketIOEchoEngineIOPolling(t *testing.T) {
	base, _, _ := startSocketIOEcho(t, relaxedSocketIOEcho)
	p, _ := openPolling(t, base, "/engine.io/")
	p.post(t, "4hello", "bAAH/", "4")
	got := p.poll(t, 3)
	if want := []string{"4hello", "bAAH/", "4"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("echo %q, want %q", got, want)
	}
}

// TestSocketIOEchoHeartbeat checks the handshake the suites expect with
// their heartbeat (300 ms, 200 ms), pongs, and a client dropped when it
// stops answering.
func TestSocketIOEchoHeartbeat(t *testing.T) {
	base, _, _ := startSocketIOEcho(t, socketIOEchoConfig{
		pingInterval:   300 * time.Millisecond,
		pingTimeout:    200 * time.Millisecond,
		connectTimeout: 5 * time.Second,
	})
	for _, path := range []string{"/engine.io/", "/socket.io/"} {
		t.Run(strings.Trim(path, "/"), func(t *testing.T) {
			p, hs := openPolling(t, base, path)
			want := map[string]any{"sid": hs["sid"], "upgrades": []any{"websocket"}, "pingInterval": 300.0, "pingTimeout": 200.0, "maxPayload": 1e6}
			if got, _ := json.Marshal(hs); string(got) != string(must(json.Marshal(want))) {
				t.Errorf("handshake %s, want %s", got, must(json.Marshal(want)))
			}
			// A polling client that does not come back is dropped after
			// pingInterval+pingTimeout: its next GET gets 400.
			time.Sleep(300*time.Millisecond + 200*time.Millisecond + 300*time.Millisecond)
			resp, err := p.client.Get(p.url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("GET after a missed pong: %s, want 400", resp.Status)
			}
		})
	}
	// A WebSocket client that answers the pings stays.
	c, _ := dialSIO(t, base, "/engine.io/")
	time.Sleep(time.Second)
	c.sendText(t, "4still here")
	c.expectText(t, "4still here")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestSocketIOEchoConnect(t *testing.T) {
	base, _, _ := startSocketIOEcho(t, relaxedSocketIOEcho)
	for _, tc := range []struct{ name, send, nsp, auth string }{
		{"main", "40", "", "{}"},
		{"main with auth", `40{"token":"123"}`, "", `{"token":"123"}`},
		{"custom", "40/custom,", "/custom,", "{}"},
		{"custom with auth", `40/custom,{"token":"abc"}`, "/custom,", `{"token":"abc"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := dialSIO(t, base, "/socket.io/")
			c.sendText(t, tc.send)
			c.expectConnect(t, tc.nsp, tc.auth)
		})
	}
	t.Run("unknown namespace", func(t *testing.T) {
		c, _ := dialSIO(t, base, "/socket.io/")
		c.sendText(t, "40/random,")
		c.expectText(t, `44/random,{"message":"Invalid namespace"}`)
	})
	t.Run("disconnect from custom, then the main namespace", func(t *testing.T) {
		c, _ := dialSIO(t, base, "/socket.io/")
		c.sendText(t, "40")
		c.expectConnect(t, "", "{}")
		c.sendText(t, "40/custom,")
		c.expectConnect(t, "/custom,", "{}")
		c.sendText(t, "41/custom,")
		c.sendText(t, `42["message","message to main namespace"]`)
		c.expectText(t, `42["message-back","message to main namespace"]`)
		// Like the reference server, the session stays open without
		// namespaces, but an event for a namespace the client has left
		// breaks the protocol and closes it.
		c.sendText(t, "41")
		c.sendText(t, `42["message","gone"]`)
		c.expectClosed(t)
	})
}

func TestSocketIOEchoMessages(t *testing.T) {
	base, _, _ := startSocketIOEcho(t, relaxedSocketIOEcho)
	c, _ := dialSIO(t, base, "/socket.io/")
	c.sendText(t, "40")
	c.expectConnect(t, "", "{}")

	c.sendText(t, `42["message",1,"2",{"3":[true]}]`)
	c.expectText(t, `42["message-back",1,"2",{"3":[true]}]`)

	c.sendText(t, `42456["message-with-ack",1,"2",{"3":[false]}]`)
	c.expectText(t, `43456[1,"2",{"3":[false]}]`)

	c.sendText(t, `452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	c.send(t, websocket.MessageBinary, "\x01\x02\x03")
	c.send(t, websocket.MessageBinary, "\x04\x05\x06")
	c.expectText(t, `452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	c.expectBinary(t, []byte{1, 2, 3})
	c.expectBinary(t, []byte{4, 5, 6})

	c.sendText(t, `452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	c.send(t, websocket.MessageBinary, "\x01\x02\x03")
	c.send(t, websocket.MessageBinary, "\x04\x05\x06")
	c.expectText(t, `462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	c.expectBinary(t, []byte{1, 2, 3})
	c.expectBinary(t, []byte{4, 5, 6})
}

func TestSocketIOEchoInvalidPackets(t *testing.T) {
	base, _, _ := startSocketIOEcho(t, relaxedSocketIOEcho)
	for _, bad := range []string{"4abc", "42{}", `42abc["message-with-ack",1,"2",{"3":[false]}]`} {
		t.Run(bad, func(t *testing.T) {
			c, _ := dialSIO(t, base, "/socket.io/")
			c.sendText(t, "40")
			c.expectConnect(t, "", "{}")
			c.sendText(t, bad)
			c.expectClosed(t)
		})
	}
}

// TestSocketIOEchoBroadcastPolling has a polling client and a WebSocket
// client meet on "/": a broadcast reaches both, the sender included.
func TestSocketIOEchoBroadcastPolling(t *testing.T) {
	base, _, _ := startSocketIOEcho(t, relaxedSocketIOEcho)
	p, _ := openPolling(t, base, "/socket.io/")
	p.post(t, `40{"name":"poller"}`)
	got := p.poll(t, 2)
	if !strings.HasPrefix(got[0], `40{"sid":"`) || got[1] != `42["auth",{"name":"poller"}]` {
		t.Fatalf("polling client got %q after CONNECT", got)
	}
	c, _ := dialSIO(t, base, "/socket.io/")
	c.sendText(t, "40")
	c.expectConnect(t, "", "{}")

	p.post(t, `42["broadcast","hi",{"n":1}]`)
	c.expectText(t, `42["broadcast-back","hi",{"n":1}]`)
	if got := p.poll(t, 1); got[0] != `42["broadcast-back","hi",{"n":1}]` {
		t.Fatalf("polling client got %q", got)
	}
	// Binary travels as base64 on polling.
	p.post(t, `451-["message",{"_placeholder":true,"num":0}]`, "bAQID")
	if got := p.poll(t, 2); got[0] != `451-["message-back",{"_placeholder":true,"num":0}]` || got[1] != "bAQID" {
		t.Fatalf("polling client got %q", got)
	}
}

// TestSocketIOEchoConnectTimeout checks that a session that joins no
// namespace is dropped after --connect-timeout.
func TestSocketIOEchoConnectTimeout(t *testing.T) {
	cfg := relaxedSocketIOEcho
	cfg.connectTimeout = 300 * time.Millisecond
	base, _, _ := startSocketIOEcho(t, cfg)
	c, _ := dialSIO(t, base, "/socket.io/")
	start := time.Now()
	c.expectClosed(t)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("dropped after %v, before the connect timeout", d)
	}
}

func TestSocketIOEchoShutdown(t *testing.T) {
	base, stop, done := startSocketIOEcho(t, relaxedSocketIOEcho)
	c, _ := dialSIO(t, base, "/socket.io/")
	c.sendText(t, "40")
	c.expectConnect(t, "", "{}")
	stop()
	c.expectClosed(t)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serveSocketIOEcho returned %v", err)
		}
		done <- err // for the cleanup
	case <-time.After(sioTestTimeout):
		t.Fatal("the testee did not stop")
	}
}

func TestSocketIOEchoUsage(t *testing.T) {
	for _, args := range [][]string{
		{"echo", "--ping-interval", "1s"},
		{"echo", "--connect-timeout", "1s"},
		{"echo", "--socketio", "--compress"},
		{"echo", "--socketio", "--client", "ws://127.0.0.1:1"},
		{"echo", "--socketio", "--ping-timeout", "0s"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a reason", args, code, errOut.String())
		}
	}
}
