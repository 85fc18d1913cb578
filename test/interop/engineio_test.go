package interop_test

// Package engineio against npm's engine.io-client, the transport of
// socket.io-client v4, run by peers/engineio_client.js: connecting with
// the client's default transports (polling, then the upgrade to
// WebSocket), with WebSocket only and with polling only; messages both
// ways; the heartbeat; and closes from either side.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/websocket"
)

// eioEvent is a line engineio_client.js prints.
type eioEvent struct {
	Event       string `json:"event"`
	ID          string `json:"id"`
	Transport   string `json:"transport"`
	Text        string `json:"text"`
	Binary      string `json:"binary"`
	Reason      string `json:"reason"`
	Description string `json:"description"`
	Message     string `json:"message"`
}

// eioClient is a running engineio_client.js.
type eioClient struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stderr  syncBuffer
	events  chan eioEvent // closed when stdout ends
	pings   int           // ping events seen by next
	upgrade string        // the transport of an upgrade event seen by next
}

// startEIOClient starts engineio_client.js against the server at url with
// transports ("" for the client's defaults), and stops it at the end of
// the test.
func startEIOClient(t *testing.T, url, transports string) *eioClient {
	t.Helper()
	node := nodeCommand(t)
	if _, err := os.Stat("node_modules/engine.io-client/package.json"); err != nil {
		missingPeer(t, "the engine.io-client package is not installed in test/interop/node_modules")
	}
	c := &eioClient{events: make(chan eioEvent, 256)}
	c.cmd = exec.Command(node[0], "engineio_client.js", url, transports)
	c.cmd.Dir = "peers"
	var stdout io.Reader
	c.stdin, stdout = startPiped(t, c.cmd, &c.stderr)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		defer close(c.events)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var ev eioEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Event == "" {
				fmt.Fprintf(&c.stderr, "[stdout] %s\n", sc.Bytes())
				continue
			}
			c.events <- ev
		}
		c.cmd.Wait()
	}()
	t.Cleanup(func() {
		c.stdin.Close()
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			c.cmd.Process.Kill()
			<-exited
		}
		if t.Failed() && c.stderr.Len() > 0 {
			t.Logf("engineio_client.js stderr:\n%s", c.stderr.String())
		}
	})
	return c
}

// command sends a command to the client.
func (c *eioClient) command(t *testing.T, cmd map[string]string) {
	t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := c.stdin.Write(append(b, '\n')); err != nil {
		t.Fatalf("command %s: %v", b, err)
	}
}

// next returns the client's next event of the given kind, counting the
// pings and logging the errors on the way.
func (c *eioClient) next(t *testing.T, kind string) eioEvent {
	t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatalf("engineio_client.js exited before reporting %q; stderr:\n%s", kind, c.stderr.String())
			}
			if ev.Event == kind {
				return ev
			}
			switch ev.Event {
			case "ping":
				c.pings++
			case "upgrade":
				c.upgrade = ev.Transport
			case "error":
				t.Logf("engine.io-client: %s", ev.Message)
			case "close":
				t.Fatalf("engine.io-client closed (%s: %s) while waiting for %q", ev.Reason, ev.Description, kind)
			}
		case <-timer.C:
			t.Fatalf("engine.io-client did not report %q within %v; stderr:\n%s", kind, eventTimeout, c.stderr.String())
		}
	}
}

// waitUpgrade waits until the client has upgraded to WebSocket.
func (c *eioClient) waitUpgrade(t *testing.T) {
	t.Helper()
	if c.upgrade == "" {
		c.upgrade = c.next(t, "upgrade").Transport
	}
	if c.upgrade != "websocket" {
		t.Fatalf("upgraded to %q", c.upgrade)
	}
}

// skipQueued takes the events already reported, which must be pings or
// errors, without waiting.
func (c *eioClient) skipQueued(t *testing.T) {
	t.Helper()
	for {
		select {
		case ev, ok := <-c.events:
			switch {
			case !ok:
				t.Fatalf("engineio_client.js exited; stderr:\n%s", c.stderr.String())
			case ev.Event == "ping":
				c.pings++
			case ev.Event == "error":
				t.Logf("engine.io-client: %s", ev.Message)
			default:
				t.Fatalf("unexpected event %+v", ev)
			}
		default:
			return
		}
	}
}

// eioSession is the server's side of a session, as the tests see it.
type eioSession struct {
	s      *engineio.Session
	msgs   chan eioMessage
	closed chan string
}

type eioMessage struct {
	data   []byte
	binary bool
}

// eioServer is an engineio.Server at /engine.io/ behind httptest, with a
// short heartbeat.
type eioServer struct {
	srv      *engineio.Server
	url      string
	sessions chan *eioSession
}

func newEIOServer(t *testing.T) *eioServer {
	es := &eioServer{sessions: make(chan *eioSession, 8)}
	es.srv = engineio.NewServer(&engineio.Options{
		PingInterval: 200 * time.Millisecond,
		PingTimeout:  400 * time.Millisecond,
		OnSession: func(s *engineio.Session) {
			ses := &eioSession{s: s, msgs: make(chan eioMessage, 64), closed: make(chan string, 1)}
			s.OnMessage(func(data []byte, binary bool) {
				ses.msgs <- eioMessage{bytes.Clone(data), binary}
			})
			s.OnClose(func(reason string, err error) { ses.closed <- reason })
			es.sessions <- ses
		},
	})
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", es.srv)
	ts := httptest.NewServer(mux)
	es.url = ts.URL
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
		defer cancel()
		es.srv.Shutdown(ctx)
	})
	return es
}

func (es *eioServer) nextSession(t *testing.T) *eioSession {
	t.Helper()
	select {
	case s := <-es.sessions:
		return s
	case <-time.After(eventTimeout):
		t.Fatal("the client opened no session")
		return nil
	}
}

func (s *eioSession) nextMessage(t *testing.T) eioMessage {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(eventTimeout):
		t.Fatal("the server got no message")
		return eioMessage{}
	}
}

func (s *eioSession) waitClose(t *testing.T) string {
	t.Helper()
	select {
	case r := <-s.closed:
		return r
	case <-time.After(eventTimeout):
		t.Fatal("the session did not close")
		return ""
	}
}

// eioModes are the client's transport settings: its defaults, WebSocket
// only, polling only; with the transport the session ends up on.
var eioModes = []struct{ name, transports, final string }{
	{"default", "", "websocket"},
	{"websocket", "websocket", "websocket"},
	{"polling", "polling", "polling"},
}

func TestEngineIOClient(t *testing.T) {
	for _, mode := range eioModes {
		t.Run(mode.name, func(t *testing.T) {
			es := newEIOServer(t)
			t.Run("messages, heartbeat and server close", func(t *testing.T) {
				testEIOExchange(t, es, mode.transports, mode.final)
			})
			t.Run("client close", func(t *testing.T) {
				testEIOClientClose(t, es, mode.transports)
			})
		})
	}
}

// eioTexts and eioBinaries are the messages sent both ways: empty, UTF-8
// of every length, JSON, and binary with every byte value.
var (
	eioTexts    = []string{"", "hello", textUnit, `{"event":"chat message","args":["\u001e"]}`, strings.Repeat(textUnit, 4000)}
	eioBinaries = [][]byte{{}, {0, 1, 2, 0x1e, 0xff}, pattern(websocket.MessageBinary, 100_000)}
)

// checkEIOClientGets checks that the client reports the messages, in
// order.
func checkEIOClientGets(t *testing.T, c *eioClient) {
	t.Helper()
	for _, want := range eioTexts {
		if ev := c.next(t, "message"); ev.Text != want || ev.Binary != "" {
			t.Errorf("client got %.40q (binary %.20q), want text %.40q", ev.Text, ev.Binary, want)
		}
	}
	for _, want := range eioBinaries {
		ev := c.next(t, "message")
		got, err := base64.StdEncoding.DecodeString(ev.Binary)
		if err != nil || ev.Text != "" || !bytes.Equal(got, want) {
			t.Errorf("client got %d bytes (text %.20q), want %d bytes of binary", len(got), ev.Text, len(want))
		}
	}
}

// sendEIO makes the client send the messages.
func sendEIO(t *testing.T, c *eioClient) {
	t.Helper()
	for _, m := range eioTexts {
		c.command(t, map[string]string{"cmd": "send", "text": m})
	}
	for _, m := range eioBinaries {
		c.command(t, map[string]string{"cmd": "send", "binary": base64.StdEncoding.EncodeToString(m)})
	}
}

// checkEIOServerGets checks that the server gets the messages, in order.
func checkEIOServerGets(t *testing.T, s *eioSession) {
	t.Helper()
	for _, want := range eioTexts {
		if m := s.nextMessage(t); m.binary || string(m.data) != want {
			t.Errorf("server got %.40q (binary %v), want text %.40q", m.data, m.binary, want)
		}
	}
	for _, want := range eioBinaries {
		if m := s.nextMessage(t); !m.binary || !bytes.Equal(m.data, want) {
			t.Errorf("server got %d bytes (binary %v), want %d bytes of binary", len(m.data), m.binary, len(want))
		}
	}
}

// sendEIOFromServer sends the messages to the client.
func sendEIOFromServer(t *testing.T, s *eioSession) {
	t.Helper()
	for _, m := range eioTexts {
		if err := s.s.Send([]byte(m), false); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range eioBinaries {
		if err := s.s.Send(m, true); err != nil {
			t.Fatal(err)
		}
	}
}

func testEIOExchange(t *testing.T, es *eioServer, transports, final string) {
	c := startEIOClient(t, es.url, transports)
	open := c.next(t, "open")
	s := es.nextSession(t)
	if open.ID != s.s.ID() {
		t.Fatalf("client has sid %q, server %q", open.ID, s.s.ID())
	}
	// Both ways at once, while a default client upgrades.
	sendEIO(t, c)
	sendEIOFromServer(t, s)
	checkEIOServerGets(t, s)
	checkEIOClientGets(t, c)

	if transports == "" {
		c.waitUpgrade(t)
	}
	if got := s.s.Transport(); got != final {
		t.Errorf("session on %q, want %q", got, final)
	}
	// Again on the final transport.
	sendEIOFromServer(t, s)
	checkEIOClientGets(t, c)
	sendEIO(t, c)
	checkEIOServerGets(t, s)

	// The heartbeat keeps the session over several ping intervals.
	c.skipQueued(t)
	before := c.pings
	time.Sleep(900 * time.Millisecond)
	c.command(t, map[string]string{"cmd": "send", "text": "still here"})
	if m := s.nextMessage(t); string(m.data) != "still here" {
		t.Errorf("server got %q", m.data)
	}
	c.skipQueued(t)
	if n := c.pings - before; n < 3 {
		t.Errorf("client saw %d pings in 900 ms, with a ping interval of 200 ms", n)
	}

	// The server closes; the client sees its transport close.
	if err := s.s.Send([]byte("last words"), false); err != nil {
		t.Fatal(err)
	}
	s.s.Close()
	if ev := c.next(t, "message"); ev.Text != "last words" {
		t.Errorf("client got %q before the close", ev.Text)
	}
	if ev := c.next(t, "close"); ev.Reason != "transport close" {
		t.Errorf("client closed with %q (%s), want \"transport close\"", ev.Reason, ev.Description)
	}
	if r := s.waitClose(t); r != "forced close" {
		t.Errorf("session closed with %q", r)
	}
}

func testEIOClientClose(t *testing.T, es *eioServer, transports string) {
	c := startEIOClient(t, es.url, transports)
	c.next(t, "open")
	s := es.nextSession(t)
	if transports == "" {
		c.waitUpgrade(t)
	}
	c.command(t, map[string]string{"cmd": "send", "text": "bye"})
	c.command(t, map[string]string{"cmd": "close"})
	if m := s.nextMessage(t); string(m.data) != "bye" {
		t.Errorf("server got %q", m.data)
	}
	if r := s.waitClose(t); r != "transport close" {
		t.Errorf("session closed with %q, want \"transport close\"", r)
	}
	if ev := c.next(t, "close"); ev.Reason != "forced close" {
		t.Errorf("client closed with %q", ev.Reason)
	}
	if n := es.srv.Len(); n != 0 {
		t.Errorf("%d sessions open after the client closed", n)
	}
}
