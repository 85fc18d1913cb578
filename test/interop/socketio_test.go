package interop_test

// Package socketio against npm's socket.io-client v4, run by
// peers/socketio_client.js, in the client's three transport settings: its
// defaults (polling, then the upgrade to WebSocket), WebSocket only and
// polling only. In each: namespaces, multiplexed over one connection, and
// an auth middleware; acknowledgements both ways, with deadlines on either
// side; binary arguments both ways; a broadcast to a room with exclusions;
// volatile packets; the disconnect reasons the client sees; reconnection
// to a restarted server; and no goroutine left once the clients are gone.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/socketio"
)

// sioMode is a transport setting of the client, with the transport the
// connection starts on and the one it ends up on.
type sioMode struct {
	name       string
	transports []string // nil for the client's defaults
	first      string
	final      string
}

var sioModes = []sioMode{
	{"default", nil, "polling", "websocket"},
	{"websocket", []string{"websocket"}, "websocket", "websocket"},
	{"polling", []string{"polling"}, "polling", "polling"},
}

// opts returns the client options of the mode with extra ones.
func (m sioMode) opts(extra map[string]any) map[string]any {
	o := map[string]any{}
	if m.transports != nil {
		o["transports"] = m.transports
	}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

func TestSocketIOClient(t *testing.T) {
	sioRequire(t)
	mark := markGoroutines()
	for _, mode := range sioModes {
		t.Run(mode.name, func(t *testing.T) {
			modeMark := markGoroutines()
			srv := startSIOServer(t, "127.0.0.1:0", nil)
			c := startSIOClient(t)
			t.Run("namespaces and auth", func(t *testing.T) { testSIONamespaces(t, mode, srv, c) })
			t.Run("acknowledgements", func(t *testing.T) { testSIOAcks(t, mode, srv, c) })
			t.Run("binary", func(t *testing.T) { testSIOBinary(t, mode, srv, c) })
			t.Run("room broadcast", func(t *testing.T) { testSIOBroadcast(t, mode, srv, c) })
			t.Run("volatile", func(t *testing.T) { testSIOVolatile(t, mode, c) })
			t.Run("disconnect reasons", func(t *testing.T) { testSIODisconnects(t, mode, c) })
			t.Run("ping timeout", func(t *testing.T) { testSIOPingTimeout(t, mode, c) })
			t.Run("server restart", func(t *testing.T) { testSIORestart(t, mode, c) })
			t.Run("clients leave", func(t *testing.T) {
				// The driver disconnects its sockets and exits; the
				// server, still running, must let go of everything.
				c.stop(t)
				srv.waitNoSessions(t)
				checkNoGoroutinesLeft(t, "clients gone, server running", modeMark)
			})
		})
	}
	checkNoGoroutinesLeft(t, "servers shut down", mark)
}

// connectTo connects socket id to the namespace at url and returns the
// client's connect event and the server's socket.
func connectTo(t *testing.T, c *sioClient, srv *sioServer, id, url string, opts map[string]any) (sioEvent, *sioServerSocket) {
	t.Helper()
	c.connect(t, id, url, opts)
	ev := c.connected(t, id)
	return ev, srv.socket(t, ev.SID)
}

// waitTransport waits until the server's session of ss is on transport.
func waitTransport(t *testing.T, ss *sioServerSocket, transport string) {
	t.Helper()
	deadline := time.Now().Add(eventTimeout)
	for ss.s.Conn().Transport() != transport {
		if time.Now().After(deadline) {
			t.Fatalf("the session is on %q, want %q", ss.s.Conn().Transport(), transport)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitUpgraded waits, with the client's default transports, until the
// client has upgraded to WebSocket.
func waitUpgraded(t *testing.T, mode sioMode, c *sioClient, id string, ss *sioServerSocket) {
	t.Helper()
	if mode.transports == nil {
		if up := c.next(t, id, "upgrade"); up.Transport != "websocket" {
			t.Fatalf("the client upgraded to %q", up.Transport)
		}
	}
	waitTransport(t, ss, mode.final)
}

// connectResult waits for the connect or connect_error event of id.
func connectResult(t *testing.T, c *sioClient, id string) sioEvent {
	t.Helper()
	return c.take(t, id, "connect or connect_error", func(ev sioEvent) bool {
		return ev.Event == "connect" || ev.Event == "connect_error"
	})
}

func testSIONamespaces(t *testing.T, mode sioMode, srv *sioServer, c *sioClient) {
	_, ss := connectTo(t, c, srv, "m", srv.url+"/", mode.opts(map[string]any{"auth": map[string]any{"name": "ann"}}))
	if op := c.next(t, "m", "open"); op.Transport != mode.first {
		t.Errorf("opened over %q, want %q", op.Transport, mode.first)
	}
	checkArgs(t, "welcome", c.event(t, "m", "welcome").Args, map[string]any{"auth": map[string]any{"name": "ann"}, "nsp": "/"})
	if got := ss.s.Handshake().Auth["name"]; got != "ann" {
		t.Errorf("server: Handshake().Auth[name] = %v", got)
	}

	// A second namespace over the same connection, through the
	// middleware.
	c.connectFrom(t, "m-admin", "m", "/admin", map[string]any{"auth": map[string]any{"token": "secret"}})
	aev := c.connected(t, "m-admin")
	as := srv.socket(t, aev.SID)
	if as.s.Conn().ID() != ss.s.Conn().ID() {
		t.Errorf("/admin on session %s, / on %s: not multiplexed", as.s.Conn().ID(), ss.s.Conn().ID())
	}
	checkArgs(t, "welcome to /admin", c.event(t, "m-admin", "welcome").Args, map[string]any{"auth": map[string]any{"token": "secret"}, "nsp": "/admin"})

	// The middleware refuses a bad token: message and data reach the
	// client.
	c.connect(t, "intruder", srv.url+"/admin", mode.opts(map[string]any{"auth": map[string]any{"token": "guess"}}))
	if ce := connectResult(t, c, "intruder"); ce.Event != "connect_error" {
		t.Errorf("bad token: %v, want connect_error", ce)
	} else {
		if ce.Message != "not authorized" {
			t.Errorf("connect_error message %q, want %q", ce.Message, "not authorized")
		}
		if want := `{"reason":"bad token","retry":false}`; !jsonEqual(ce.Data, []byte(want)) {
			t.Errorf("connect_error data %s, want %s", ce.Data, want)
		}
	}
	// An unknown namespace.
	c.connect(t, "lost", srv.url+"/nowhere", mode.opts(nil))
	if ce := connectResult(t, c, "lost"); ce.Event != "connect_error" || ce.Message != "Invalid namespace" {
		t.Errorf("unknown namespace: %v, want connect_error \"Invalid namespace\"", ce)
	}
	c.disconnect(t, "intruder")
	c.disconnect(t, "lost")

	// Leaving /admin keeps /.
	c.disconnect(t, "m-admin")
	if r := as.waitDisconnect(t); r != socketio.ReasonClientNamespaceDisconnect {
		t.Errorf("server: /admin socket disconnected with %q, want %q", r, socketio.ReasonClientNamespaceDisconnect)
	}
	if d := c.next(t, "m-admin", "disconnect"); d.Reason != "io client disconnect" {
		t.Errorf("client: /admin disconnected with %q", d.Reason)
	}
	req := c.emit(t, "m", "callback", 0, "double", 21)
	checkArgs(t, "double after leaving /admin", c.ackOf(t, "m", req).Args, 42)

	waitUpgraded(t, mode, c, "m", ss)
	req = c.emit(t, "m", "callback", 0, "double", 8)
	checkArgs(t, "double on the final transport", c.ackOf(t, "m", req).Args, 16)
	c.disconnect(t, "m")
	if r := ss.waitDisconnect(t); r != socketio.ReasonClientNamespaceDisconnect {
		t.Errorf("server: / socket disconnected with %q", r)
	}
}

// emitWithAckAsync runs ss's EmitWithAck with a deadline of d on a
// goroutine of its own.
func emitWithAckAsync(ss *sioServerSocket, d time.Duration, event string, args ...any) <-chan ackResult {
	ch := make(chan ackResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		start := time.Now()
		res, err := ss.s.EmitWithAck(ctx, event, args...)
		ch <- ackResult{res, err, time.Since(start)}
	}()
	return ch
}

type ackResult struct {
	args    []socketio.Raw
	err     error
	elapsed time.Duration
}

func waitAck(t *testing.T, ch <-chan ackResult) ackResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(eventTimeout):
		t.Fatal("EmitWithAck did not return")
		return ackResult{}
	}
}

func testSIOAcks(t *testing.T, mode sioMode, srv *sioServer, c *sioClient) {
	_, ss := connectTo(t, c, srv, "k", srv.url+"/", mode.opts(nil))

	// Client to server: a callback, then emitWithAck.
	req := c.emit(t, "k", "callback", 0, "double", 21)
	checkArgs(t, "callback", c.ackOf(t, "k", req).Args, 42)
	req = c.emit(t, "k", "promise", 5*time.Second, "double", 5)
	if a := c.ackOf(t, "k", req); a.Err != "" {
		t.Errorf("emitWithAck: %s", a.Err)
	} else {
		checkArgs(t, "emitWithAck", a.Args, 10)
	}

	// The client's deadline, with emitWithAck and with a callback, for an
	// event the server never acknowledges.
	const clientTimeout = 300 * time.Millisecond
	for _, how := range []string{"promise", "callback"} {
		start := time.Now()
		req = c.emit(t, "k", how, clientTimeout, "silent")
		a := c.ackOf(t, "k", req)
		if a.Err != "operation has timed out" {
			t.Errorf("%s with timeout: %v, want the error \"operation has timed out\"", how, a)
		}
		// Node.js timers may fire a millisecond early.
		if d := a.at.Sub(start); d < clientTimeout-10*time.Millisecond {
			t.Errorf("%s with timeout: gave up after %v, before its %v", how, d, clientTimeout)
		}
	}

	// Server to client: the client answers.
	ch := emitWithAckAsync(ss, eventTimeout, "question", "6*7?")
	q := c.event(t, "k", "question")
	checkArgs(t, "question", q.Args, "6*7?")
	if q.Ack == 0 {
		t.Fatal("the question asks for no acknowledgement")
	}
	c.ack(t, q.Ack, 42, "forty-two")
	r := waitAck(t, ch)
	if r.err != nil {
		t.Fatalf("EmitWithAck: %v (disconnect reason %q)", r.err, ss.disconnectReason())
	}
	var n int
	var s string
	if len(r.args) != 2 || r.args[0].Decode(&n) != nil || r.args[1].Decode(&s) != nil || n != 42 || s != "forty-two" {
		t.Errorf("EmitWithAck returned %v", r.args)
	}

	// The server's deadline: the client does not answer in time.
	const serverTimeout = 300 * time.Millisecond
	ch = emitWithAckAsync(ss, serverTimeout, "question", "anyone?")
	q = c.event(t, "k", "question")
	r = waitAck(t, ch)
	if !errors.Is(r.err, context.DeadlineExceeded) {
		t.Errorf("EmitWithAck without an answer: %v, %v; want context.DeadlineExceeded", r.args, r.err)
	}
	if r.elapsed < serverTimeout-10*time.Millisecond {
		t.Errorf("EmitWithAck gave up after %v, before its deadline of %v", r.elapsed, serverTimeout)
	}
	// A late answer is dropped; the connection goes on.
	c.ack(t, q.Ack, "too late")
	req = c.emit(t, "k", "callback", 0, "double", 1)
	checkArgs(t, "double after a late answer", c.ackOf(t, "k", req).Args, 2)

	c.disconnect(t, "k")
	ss.waitDisconnect(t)
}

// binT is a binary value as the client reports it: a Node.js Buffer.
func binT(b []byte) map[string]any {
	m := bin(b)
	m["$type"] = "Buffer"
	return m
}

func testSIOBinary(t *testing.T, mode sioMode, srv *sioServer, c *sioClient) {
	_, ss := connectTo(t, c, srv, "b", srv.url+"/", mode.opts(nil))
	payload := make([]byte, 256)
	for i := range payload {
		payload[i] = byte(i)
	}
	reversed := slices.Clone(payload)
	slices.Reverse(reversed)

	// Buffers nested in an object, decoded into []byte fields; the
	// acknowledgement carries []byte values back.
	req := c.emit(t, "b", "callback", 0, "upload", map[string]any{
		"name":  "pic.png",
		"data":  bin(payload),
		"parts": []any{bin([]byte("ab")), bin([]byte{})},
		"meta":  map[string]any{"sum": bin([]byte{0xca, 0xfe})},
	})
	checkArgs(t, "upload acknowledgement", c.ackOf(t, "b", req).Args, map[string]any{
		"name":  "pic.png",
		"size":  256,
		"data":  binT(reversed),
		"parts": []any{binT([]byte("ab")), binT([]byte{})},
		"sum":   binT([]byte{0xca, 0xfe}),
	})

	// Arguments of any kind, sent back unchanged.
	args := []any{1, "two", bin([]byte{0, 1, 2, 0x1e, 0xff}), map[string]any{"nested": map[string]any{"deep": []any{bin([]byte("x")), true}}}, nil}
	req = c.emit(t, "b", "callback", 0, "echo", args...)
	checkArgs(t, "echo", c.ackOf(t, "b", req).Args,
		1, "two", binT([]byte{0, 1, 2, 0x1e, 0xff}), map[string]any{"nested": map[string]any{"deep": []any{binT([]byte("x")), true}}}, nil)

	// Server to client: []byte at any depth.
	type file struct {
		Name string `json:"name"`
		Data []byte `json:"data"`
	}
	if err := ss.s.Emit("blob", []byte{1, 2, 3}, map[string]any{"file": file{"a.bin", []byte{0xde, 0xad}}, "list": [][]byte{{1}, {2, 2}}}, []byte{}); err != nil {
		t.Fatal(err)
	}
	checkArgs(t, "blob", c.event(t, "b", "blob").Args,
		binT([]byte{1, 2, 3}),
		map[string]any{"file": map[string]any{"name": "a.bin", "data": binT([]byte{0xde, 0xad})}, "list": []any{binT([]byte{1}), binT([]byte{2, 2})}},
		binT([]byte{}))

	// The client answers the server with binary.
	ch := emitWithAckAsync(ss, eventTimeout, "want-bytes")
	q := c.event(t, "b", "want-bytes")
	c.ack(t, q.Ack, bin(payload), map[string]any{"x": bin([]byte{9})})
	r := waitAck(t, ch)
	if r.err != nil || len(r.args) != 2 {
		t.Fatalf("EmitWithAck: %v, %v (disconnect reason %q)", r.args, r.err, ss.disconnectReason())
	}
	var got []byte
	var obj struct {
		X []byte `json:"x"`
	}
	if err := r.args[0].Decode(&got); err != nil || !bytes.Equal(got, payload) {
		t.Errorf("binary answer: %d bytes (%v), want the 256-byte payload", len(got), err)
	}
	if err := r.args[1].Decode(&obj); err != nil || !bytes.Equal(obj.X, []byte{9}) {
		t.Errorf("nested binary answer: %v (%v)", obj.X, err)
	}

	c.disconnect(t, "b")
	ss.waitDisconnect(t)
}

func testSIOBroadcast(t *testing.T, mode sioMode, srv *sioServer, c *sioClient) {
	ids := []string{"r1", "r2", "r3"}
	socks := map[string]*sioServerSocket{}
	for _, id := range ids {
		_, socks[id] = connectTo(t, c, srv, id, srv.url+"/", mode.opts(nil))
		req := c.emit(t, id, "callback", 0, "join", "room-1")
		checkArgs(t, id+" joins room-1", c.ackOf(t, id, req).Args, true)
	}
	req := c.emit(t, "r3", "callback", 0, "join", "quiet")
	checkArgs(t, "r3 joins quiet", c.ackOf(t, "r3", req).Args, true)

	// firstOf returns the name of the first of the events that id got.
	firstOf := func(id string, names ...string) string {
		t.Helper()
		return c.take(t, id, "one of "+names[0]+"...", func(ev sioEvent) bool {
			return ev.Event == "event" && slices.Contains(names, ev.Name)
		}).Name
	}

	// To the room except those in "quiet": r1 and r2.
	if err := srv.io.To("room-1").Except("quiet").Emit("news", "for the room"); err != nil {
		t.Fatal(err)
	}
	if err := srv.io.To("room-1").Emit("marker-1"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"r1", "r2"} {
		checkArgs(t, id+" news", c.event(t, id, "news").Args, "for the room")
		c.event(t, id, "marker-1")
	}
	if got := firstOf("r3", "news", "marker-1"); got != "marker-1" {
		t.Errorf("r3, excluded, got %q", got)
	}

	// From a socket: everyone in the room but the sender.
	if err := socks["r1"].s.To("room-1").Emit("from-r1", "hi"); err != nil {
		t.Fatal(err)
	}
	if err := srv.io.To("room-1").Emit("marker-2"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"r2", "r3"} {
		checkArgs(t, id+" from-r1", c.event(t, id, "from-r1").Args, "hi")
		c.event(t, id, "marker-2")
	}
	if got := firstOf("r1", "from-r1", "marker-2"); got != "marker-2" {
		t.Errorf("r1, the sender, got %q", got)
	}

	// One acknowledgement from each client of the room.
	ch := make(chan ackResult, 1)
	go func() {
		res, err := srv.io.To("room-1").Timeout(eventTimeout).EmitWithAck(context.Background(), "vote")
		ch <- ackResult{args: res, err: err}
	}()
	for _, id := range ids {
		q := c.event(t, id, "vote")
		c.ack(t, q.Ack, id)
	}
	r := waitAck(t, ch)
	if r.err != nil {
		t.Fatalf("room EmitWithAck: %v", r.err)
	}
	var votes []string
	for _, a := range r.args {
		var v string
		a.Decode(&v)
		votes = append(votes, v)
	}
	slices.Sort(votes)
	if !slices.Equal(votes, ids) {
		t.Errorf("room EmitWithAck returned %q, want one answer from each of %q", votes, ids)
	}

	for _, id := range ids {
		c.disconnect(t, id)
		socks[id].waitDisconnect(t)
	}
}

func testSIOVolatile(t *testing.T, mode sioMode, c *sioClient) {
	// A server with a small send queue, so that a burst overflows it.
	srv := startSIOServer(t, "127.0.0.1:0", func(o *engineio.Options) { o.SendQueueMessages = 16 })
	ev, ss := connectTo(t, c, srv, "v", srv.url+"/", mode.opts(map[string]any{"quiet": []string{"tick"}}))
	waitUpgraded(t, mode, c, "v", ss)

	const ticks = 300
	for i := range ticks {
		if err := srv.io.To(ev.SID).Volatile().Emit("tick", i); err != nil {
			t.Fatalf("volatile Emit: %v", err)
		}
	}
	dropped := srv.io.Dropped()
	// A last volatile packet, sent again until the queue takes it: once
	// it arrives, every tick that was queued has arrived.
	deadline := time.Now().Add(eventTimeout)
	for {
		before := srv.io.Dropped()
		if err := srv.io.To(ev.SID).Volatile().Emit("after-ticks"); err != nil {
			t.Fatal(err)
		}
		if srv.io.Dropped() == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the send queue stayed full")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.event(t, "v", "after-ticks")
	c.send(t, map[string]any{"cmd": "counts", "id": "v"})
	got := c.next(t, "v", "counts").Counts["tick"]
	t.Logf("%d volatile ticks: %d received, %d dropped", ticks, got, dropped)
	if uint64(got)+dropped != ticks {
		t.Errorf("%d ticks received and %d dropped, want %d in all", got, dropped, ticks)
	}
	if mode.final == "polling" && dropped == 0 {
		t.Errorf("no tick dropped with a queue of 16 on polling")
	}
	if !ss.s.Connected() {
		t.Error("the volatile burst disconnected the client")
	}

	// The client's volatile emit, while connected, arrives.
	c.send(t, map[string]any{"cmd": "emit", "id": "v", "name": "note", "args": []any{"volatile from the client"}, "volatile": true})
	note := ss.nextNote(t)
	var s string
	if len(note) != 1 || note[0].Decode(&s) != nil || s != "volatile from the client" {
		t.Errorf("note %v", note)
	}
	c.disconnect(t, "v")
	ss.waitDisconnect(t)
}

// slowHeartbeat makes pings rare, so that on polling a GET stays in the
// engine between the tests' steps.
func slowHeartbeat(o *engineio.Options) {
	o.PingInterval = 5 * time.Second
	o.PingTimeout = 5 * time.Second
}

func testSIODisconnects(t *testing.T, mode sioMode, c *sioClient) {
	srv := startSIOServer(t, "127.0.0.1:0", slowHeartbeat)
	for _, tc := range []struct {
		id     string
		close  bool // Disconnect(true): the Engine.IO session is closed too
		client bool // the client disconnects
		want   string
		server string
	}{
		{"d1", false, false, "io server disconnect", socketio.ReasonServerNamespaceDisconnect},
		{"d2", true, false, "io server disconnect", socketio.ReasonServerNamespaceDisconnect},
		{"d3", false, true, "io client disconnect", socketio.ReasonClientNamespaceDisconnect},
	} {
		_, ss := connectTo(t, c, srv, tc.id, srv.url+"/", mode.opts(nil))
		waitUpgraded(t, mode, c, tc.id, ss)
		if tc.client {
			c.disconnect(t, tc.id)
		} else {
			ss.s.Disconnect(tc.close)
		}
		if d := c.next(t, tc.id, "disconnect"); d.Reason != tc.want {
			t.Errorf("%s: the client saw %q (%s), want %q", tc.id, d.Reason, d.Description, tc.want)
		}
		if r := ss.waitDisconnect(t); r != tc.server {
			t.Errorf("%s: the server saw %q, want %q", tc.id, r, tc.server)
		}
		// Neither side reconnects after such a disconnection.
		if ev, ok := c.takeWithin(tc.id, func(ev sioEvent) bool { return ev.Event == "connect" }, 300*time.Millisecond); ok {
			t.Errorf("%s: the client connected again: %v", tc.id, ev)
		}
	}
}

func testSIOPingTimeout(t *testing.T, mode sioMode, c *sioClient) {
	mark := markGoroutines()
	srv := startSIOServer(t, "127.0.0.1:0", nil)
	proxy := startProxy(t, srv.ts.Listener.Addr().String())
	_, ss := connectTo(t, c, srv, "p", proxy.url()+"/", mode.opts(map[string]any{"reconnection": false}))
	waitUpgraded(t, mode, c, "p", ss)

	// The network stops delivering: no ping reaches the client, no pong
	// the server.
	start := time.Now()
	proxy.Pause()
	d := c.next(t, "p", "disconnect")
	if d.Reason != "ping timeout" {
		t.Errorf("the client saw %q (%s), want \"ping timeout\"", d.Reason, d.Description)
	}
	if r := ss.waitDisconnect(t); r != socketio.ReasonPingTimeout {
		t.Errorf("the server saw %q, want %q", r, socketio.ReasonPingTimeout)
	}
	t.Logf("ping timeout seen by the client after %v (interval %v, timeout %v)", d.at.Sub(start), sioPingInterval, sioPingTimeout)
	if limit := sioPingInterval + sioPingTimeout + 2*time.Second; d.at.Sub(start) > limit {
		t.Errorf("the client took %v to notice, more than %v", d.at.Sub(start), limit)
	}
	// The server, still running, lets go of the timed-out session though
	// the network still delivers nothing: on WebSocket, once its closing
	// handshake has waited for the client as long as package websocket
	// allows (5 s).
	srv.waitNoSessions(t)
	checkNoGoroutinesLeftWithin(t, "session timed out, server running", mark, 8*time.Second)
}

func testSIORestart(t *testing.T, mode sioMode, c *sioClient) {
	first := startSIOServer(t, "127.0.0.1:0", slowHeartbeat)
	addr := first.ts.Listener.Addr().String()
	ev1, ss1 := connectTo(t, c, first, "rs", first.url+"/", mode.opts(map[string]any{"auth": map[string]any{"name": "bob"}}))
	c.event(t, "rs", "welcome")
	waitUpgraded(t, mode, c, "rs", ss1)

	// The server goes away.
	first.stop(t)
	if d := c.next(t, "rs", "disconnect"); d.Reason != "transport close" {
		t.Errorf("the client saw %q (%s), want \"transport close\"", d.Reason, d.Description)
	}
	if r := ss1.waitDisconnect(t); r != socketio.ReasonServerShuttingDown {
		t.Errorf("the server saw %q, want %q", r, socketio.ReasonServerShuttingDown)
	}

	// A new one on the same port: the client comes back by itself, with
	// its auth payload.
	second := startSIOServer(t, addr, nil)
	if rc := c.next(t, "rs", "reconnect"); rc.Attempt < 1 {
		t.Errorf("reconnect after %d attempts", rc.Attempt)
	}
	ev2 := c.connected(t, "rs")
	if ev2.SID == ev1.SID {
		t.Errorf("the same socket id %s on the new server", ev2.SID)
	}
	if first.hasSocket(ev2.SID) {
		t.Errorf("socket %s reconnected to the stopped server", ev2.SID)
	}
	ss2 := second.socket(t, ev2.SID)
	checkArgs(t, "welcome back", c.event(t, "rs", "welcome").Args, map[string]any{"auth": map[string]any{"name": "bob"}, "nsp": "/"})
	req := c.emit(t, "rs", "callback", 0, "double", 4)
	checkArgs(t, "double after the restart", c.ackOf(t, "rs", req).Args, 8)

	c.disconnect(t, "rs")
	if r := ss2.waitDisconnect(t); r != socketio.ReasonClientNamespaceDisconnect {
		t.Errorf("the new server saw %q", r)
	}
	second.waitNoSessions(t)
}

// TestSocketIOClientBetweenPolls: on polling, the server closes a
// client's connection while the client's GET is between two requests,
// not waiting in the engine. As with the reference server, the packets
// queued for the client go in one response and the close packet in the
// next (the client handles a DISCONNECT packet one tick after the rest of
// its response, so a close packet in the same response would overtake
// it), and Shutdown waits for the client's next GET to hand it the close
// packet. A client that sends its next POST as soon as it has read "ok",
// over another connection, is not taken for one sending two at once.
func TestSocketIOClientBetweenPolls(t *testing.T) {
	sioRequire(t)
	mode := sioModes[2] // polling
	c := startSIOClient(t)

	t.Run("Disconnect(true) with DISCONNECT queued", func(t *testing.T) {
		srv := startSIOServer(t, "127.0.0.1:0", slowHeartbeat)
		_, ss := connectTo(t, c, srv, "q1", srv.url+"/", mode.opts(nil))
		release := srv.holdPolls(t, ss.s.Conn().ID())
		ss.s.Disconnect(true)
		release()
		if d := c.next(t, "q1", "disconnect"); d.Reason != "io server disconnect" {
			t.Errorf("the client saw %q (%s), want \"io server disconnect\"", d.Reason, d.Description)
		}
	})

	t.Run("Shutdown", func(t *testing.T) {
		srv := startSIOServer(t, "127.0.0.1:0", slowHeartbeat)
		_, ss := connectTo(t, c, srv, "q2", srv.url+"/", mode.opts(map[string]any{"reconnection": false}))
		release := srv.holdPolls(t, ss.s.Conn().ID())
		ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- srv.io.Shutdown(ctx) }()
		if r := ss.waitDisconnect(t); r != socketio.ReasonServerShuttingDown {
			t.Errorf("the server saw %q, want %q", r, socketio.ReasonServerShuttingDown)
		}
		// The HTTP server still runs: the next GET reaches the engine.
		release()
		if d := c.next(t, "q2", "disconnect"); d.Reason != "transport close" {
			t.Errorf("the client saw %q (%s), want \"transport close\"", d.Reason, d.Description)
		}
		if err := <-done; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})

	t.Run("back-to-back POSTs over two connections", func(t *testing.T) {
		srv := startSIOServer(t, "127.0.0.1:0", slowHeartbeat)
		conns := []*http.Client{
			{Transport: &http.Transport{MaxConnsPerHost: 1}, Timeout: eventTimeout},
			{Transport: &http.Transport{MaxConnsPerHost: 1}, Timeout: eventTimeout},
		}
		const sessions, posts = 100, 20
		refused := 0
		for range sessions {
			p, _ := openPolling(t, conns[0], srv.url)
			for i := range posts {
				// Each POST starts once the one before has been answered.
				status, body := p.post(t, conns[i%2], "3")
				if status != http.StatusOK {
					refused++
					t.Logf("POST %d of a session: %d %s", i, status, body)
					break
				}
			}
		}
		if refused > 0 {
			t.Errorf("%d of %d sessions refused a POST sent after the previous one was answered", refused, sessions)
		}
	})
}

// rawPoller is a hand-written long-polling client of a session.
type rawPoller struct{ url string }

// openPolling makes a polling handshake at base/socket.io/.
func openPolling(t *testing.T, hc *http.Client, base string) (*rawPoller, string) {
	t.Helper()
	resp, err := hc.Get(base + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var hs struct {
		SID string `json:"sid"`
	}
	if len(b) == 0 || b[0] != '0' || json.Unmarshal(b[1:], &hs) != nil || hs.SID == "" {
		t.Fatalf("handshake answered %d %q", resp.StatusCode, b)
	}
	return &rawPoller{base + "/socket.io/?EIO=4&transport=polling&sid=" + hs.SID}, hs.SID
}

// post sends a payload and reads the whole answer.
func (p *rawPoller) post(t *testing.T, hc *http.Client, payload string) (int, string) {
	t.Helper()
	resp, err := hc.Post(p.url, "text/plain;charset=UTF-8", strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
