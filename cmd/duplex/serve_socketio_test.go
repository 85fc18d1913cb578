package main

// Tests of the chat over Socket.IO: clients that speak Engine.IO and
// Socket.IO by hand (dialSIO and openPolling, from echo_socketio_test.go)
// meet WebSocket chat clients in one room.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrt/duplex/socketio"
	"github.com/duplexrt/duplex/websocket"
)

// sioURL is the base URL that dialSIO and openPolling take.
func (s *chatTest) sioURL() string { return "http://" + s.addr }

// sioJoin connects a Socket.IO client to namespace "/" over WebSocket and
// reads the welcome.
func (s *chatTest) sioJoin(t *testing.T) *sioWS {
	t.Helper()
	c, _ := dialSIO(t, s.sioURL(), "/socket.io/")
	c.sendText(t, "40")
	if m := c.next(t); !strings.HasPrefix(string(m.data), `40{"sid":"`) {
		t.Fatalf("CONNECT answered with %q", m.data)
	}
	c.expectText(t, `42["chat message","Welcome to the chat room."]`)
	return c
}

// sioEvent encodes an EVENT packet, with an acknowledgement id when id > 0.
func sioEvent(id int, args ...any) string {
	b, err := json.Marshal(args)
	if err != nil {
		panic(err)
	}
	if id > 0 {
		return fmt.Sprintf("42%d%s", id, b)
	}
	return "42" + string(b)
}

// emit sends an event without asking for an acknowledgement.
func (c *sioWS) emit(t *testing.T, args ...any) {
	t.Helper()
	c.sendText(t, sioEvent(0, args...))
}

// call sends an event with acknowledgement id 1 and returns the
// acknowledgement's arguments, after the chat lines that came before it.
func (c *sioWS) call(t *testing.T, args ...any) (ack string, before []string) {
	t.Helper()
	c.sendText(t, sioEvent(1, args...))
	for {
		m := c.next(t)
		if s, ok := strings.CutPrefix(string(m.data), "431"); ok {
			return s, before
		}
		before = append(before, string(m.data))
	}
}

// expectLine checks that the next message is the chat line want, of
// channel ("" for the default one).
func (c *sioWS) expectLine(t *testing.T, want, channel string) {
	t.Helper()
	args := []any{"chat message", want}
	if channel != "" {
		args = append(args, channel)
	}
	c.expectText(t, sioEvent(0, args...))
}

// sioLine decodes the chat line of an EVENT packet.
func sioLine(t *testing.T, data string) string {
	t.Helper()
	var args []string
	rest, ok := strings.CutPrefix(data, "42")
	if !ok || json.Unmarshal([]byte(rest), &args) != nil || len(args) != 2 || args[0] != "chat message" {
		t.Fatalf("got %q, want a chat line", data)
	}
	return args[1]
}

// TestServeSocketIOMeetsWebSocket has WebSocket and Socket.IO clients
// talk in one room, with both forms of "chat message".
func TestServeSocketIOMeetsWebSocket(t *testing.T) {
	s := startChat(t, serveConfig{})
	alice := s.join(t)
	bob := s.sioJoin(t)

	say(t, alice, "alice: hi bob \u2713")
	if got := readText(t, alice); got != "alice: hi bob \u2713" {
		t.Errorf("alice got %q, want her own line", got)
	}
	bob.expectLine(t, "alice: hi bob \u2713", "")

	bob.emit(t, "chat message", map[string]string{"nick": "bob", "text": "hi alice"})
	bob.emit(t, "chat message", "bob: the string form")
	for _, want := range []string{"bob: hi alice", "bob: the string form"} {
		if got := readText(t, alice); got != want {
			t.Errorf("alice got %q, want %q", got, want)
		}
		bob.expectLine(t, want, "")
	}

	// An acknowledgement, when asked for, is null once the line is sent.
	ack, before := bob.call(t, "chat message", map[string]string{"nick": "bob", "text": "acked"})
	if ack != "[null]" || len(before) != 1 || sioLine(t, before[0]) != "bob: acked" {
		t.Errorf("got %q then ack %s, want the line then [null]", before, ack)
	}
	if got := readText(t, alice); got != "bob: acked" {
		t.Errorf("alice got %q", got)
	}
	s.logs.waitFor(t, "socket.io connection open")
}

// TestServeSocketIOOrder has two WebSocket and two Socket.IO clients, one
// sender of each kind sending at once: every client receives the same
// lines in the same order, each sender's in the order sent.
func TestServeSocketIOOrder(t *testing.T) {
	const n = 30
	s := startChat(t, serveConfig{})
	alice, carol := s.join(t), s.join(t)
	bob, dave := s.sioJoin(t), s.sioJoin(t)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
		defer cancel()
		for i := range n {
			if err := alice.Write(ctx, websocket.MessageText, fmt.Appendf(nil, "alice: %d", i)); err != nil {
				t.Errorf("alice: %v", err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
		defer cancel()
		for i := range n {
			if err := bob.conn.Write(ctx, websocket.MessageText, []byte(sioEvent(0, "chat message", map[string]string{"nick": "bob", "text": fmt.Sprint(i)}))); err != nil {
				t.Errorf("bob: %v", err)
				return
			}
		}
	}()
	wg.Wait()

	var seqs [][]string
	for _, c := range []*websocket.Conn{alice, carol} {
		var seq []string
		for range 2 * n {
			seq = append(seq, readText(t, c))
		}
		seqs = append(seqs, seq)
	}
	for _, c := range []*sioWS{bob, dave} {
		var seq []string
		for range 2 * n {
			seq = append(seq, sioLine(t, string(c.next(t).data)))
		}
		seqs = append(seqs, seq)
	}
	for i, seq := range seqs[1:] {
		if !slices.Equal(seq, seqs[0]) {
			t.Fatalf("client %d received\n%q\nclient 0 received\n%q", i+1, seq, seqs[0])
		}
	}
	next := map[string]int{}
	for _, line := range seqs[0] {
		nick, num, _ := strings.Cut(line, ": ")
		if want := fmt.Sprint(next[nick]); num != want {
			t.Fatalf("%s's line %s came where %s was due: %q", nick, num, want, seqs[0])
		}
		next[nick]++
	}
}

// TestServeSocketIOChannels checks that a channel's lines reach its
// members only, and that join and leave change who they are.
func TestServeSocketIOChannels(t *testing.T) {
	s := startChat(t, serveConfig{})
	web := s.join(t)
	ann, ben, cid := s.sioJoin(t), s.sioJoin(t), s.sioJoin(t)
	for _, c := range []*sioWS{ann, ben} {
		if ack, _ := c.call(t, "join", "go"); ack != "[null]" {
			t.Fatalf("join: ack %s, want [null]", ack)
		}
	}
	// Joining again is no error.
	if ack, _ := ann.call(t, "join", "go"); ack != "[null]" {
		t.Fatalf("second join: ack %s, want [null]", ack)
	}

	// marker sends a line to the default channel, which every client
	// receives after what came before it.
	marker := func(text string) {
		t.Helper()
		say(t, web, text)
		if got := readText(t, web); got != text {
			t.Fatalf("web got %q, want %q", got, text)
		}
		for _, c := range []*sioWS{ann, ben, cid} {
			c.expectLine(t, text, "")
		}
	}

	// Each line is acknowledged after it is queued for the channel, so
	// ann's comes before ben's.
	if ack, before := ann.call(t, "chat message", map[string]string{"channel": "go", "nick": "ann", "text": "gophers only"}); ack != "[null]" || len(before) != 1 {
		t.Fatalf("ann got %q then ack %s, want her line then [null]", before, ack)
	}
	ben.expectLine(t, "ann: gophers only", "go")
	ben.emit(t, "chat message", "ben: me too", "go")
	for _, c := range []*sioWS{ann, ben} {
		c.expectLine(t, "ben: me too", "go")
	}
	marker("web: 1") // cid and web got nothing of channel go

	// A client outside a channel cannot send to it.
	ack, _ := cid.call(t, "chat message", map[string]string{"channel": "go", "nick": "cid", "text": "let me in"})
	if ack != `["not in channel \"go\"; join it first"]` {
		t.Errorf("sending to a channel not joined: ack %s", ack)
	}

	if ack, _ := ben.call(t, "leave", "go"); ack != "[null]" {
		t.Fatalf("leave: ack %s, want [null]", ack)
	}
	ann.emit(t, "chat message", map[string]string{"channel": "go", "nick": "ann", "text": "alone now"})
	ann.expectLine(t, "ann: alone now", "go")
	marker("web: 2") // ben left: the marker is his next line
	if ack, _ := ben.call(t, "chat message", "ben: back?", "go"); !strings.Contains(ack, "not in channel") {
		t.Errorf("sending after leaving: ack %s", ack)
	}

	// A client may be in maxChannels channels besides the default one.
	for i := range maxChannels {
		if ack, _ := cid.call(t, "join", fmt.Sprint("c", i)); ack != "[null]" {
			t.Fatalf("join c%d: ack %s", i, ack)
		}
	}
	if ack, _ := cid.call(t, "join", "one too many"); ack != fmt.Sprintf(`["already in %d channels"]`, maxChannels) {
		t.Errorf("join past the limit: ack %s", ack)
	}
}

// TestServeSocketIORefusesBadEvents checks the acknowledgements of
// events that the chat refuses; the client stays connected.
func TestServeSocketIORefusesBadEvents(t *testing.T) {
	s := startChat(t, serveConfig{})
	c := s.sioJoin(t)
	for _, tc := range []struct {
		args []any
		ack  string
	}{
		{[]any{"chat message"}, `["chat message needs \"nick: text\" or {nick, text}"]`},
		{[]any{"chat message", 5}, `["chat message needs \"nick: text\" or {nick, text}"]`},
		{[]any{"chat message", " "}, `["the message is empty"]`},
		{[]any{"chat message", "ann: hi", 7}, `["the channel must be a string"]`},
		{[]any{"chat message", map[string]any{"nick": "ann", "text": 1}}, `["channel, nick and text must be strings"]`},
		{[]any{"chat message", map[string]any{"nick": "", "text": "hi"}}, `["the nick is empty"]`},
		{[]any{"chat message", map[string]any{"nick": "a:b", "text": "hi"}}, `["the nick holds a colon or a control character"]`},
		{[]any{"chat message", map[string]any{"nick": strings.Repeat("n", maxNickLen+1), "text": "hi"}}, `["the nick is longer than 32 characters"]`},
		{[]any{"chat message", map[string]any{"nick": "ann", "text": ""}}, `["the text is empty"]`},
		{[]any{"join"}, `["join needs a channel name"]`},
		{[]any{"join", 42}, `["join needs a channel name"]`},
		{[]any{"join", ""}, `["the channel name is empty"]`},
		{[]any{"join", "a\nb"}, `["the channel name holds a control character"]`},
		{[]any{"join", strings.Repeat("c", maxChannelLen+1)}, `["the channel name is longer than 64 bytes"]`},
		{[]any{"leave", ""}, `["the channel name is empty"]`},
	} {
		ack, before := c.call(t, tc.args...)
		if ack != tc.ack || len(before) != 0 {
			t.Errorf("emit %q: %q then ack %s, want only %s", tc.args, before, ack, tc.ack)
		}
	}
	// Refused events without an acknowledgement are dropped quietly.
	c.emit(t, "chat message", 5)
	c.emit(t, "chat message", "still: here")
	c.expectLine(t, "still: here", "")
}

// TestSocketChatParseLine checks the bound on a line's length, which an
// Engine.IO payload of the same bound does not reach.
func TestSocketChatParseLine(t *testing.T) {
	c := &socketChat{maxLine: 10}
	raw := func(s string) socketio.Raw { return socketio.Raw{JSON: []byte(s)} }
	for _, tc := range []struct {
		args          []socketio.Raw
		line, channel string
		err           string
	}{
		{[]socketio.Raw{raw(`"ann: 12345"`)}, "ann: 12345", "", ""},
		{[]socketio.Raw{raw(`"ann: 123456"`)}, "", "", "longer than 10 bytes"},
		{[]socketio.Raw{raw(` {"nick":"ann","text":"12345","channel":"go"}`)}, "ann: 12345", "go", ""},
		{[]socketio.Raw{raw(`{"nick":"ann","text":"123456"}`)}, "", "", "longer than 10 bytes"},
	} {
		line, channel, err := c.parseLine(tc.args)
		if line != tc.line || channel != tc.channel || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("parseLine(%s) = %q, %q, %v; want %q, %q, %q", tc.args[0].JSON, line, channel, err, tc.line, tc.channel, tc.err)
		}
	}
}

// TestServeSocketIOPolling has a long-polling Socket.IO client in the room.
func TestServeSocketIOPolling(t *testing.T) {
	s := startChat(t, serveConfig{})
	web := s.join(t)
	p, hs := openPolling(t, s.sioURL(), "/socket.io/")
	if hs["maxPayload"] != float64(64<<10) {
		t.Errorf("maxPayload %v, want the read limit, 65536", hs["maxPayload"])
	}
	p.post(t, "40")
	got := p.poll(t, 2)
	if !strings.HasPrefix(got[0], `40{"sid":"`) || got[1] != `42["chat message","Welcome to the chat room."]` {
		t.Fatalf("got %q after CONNECT, want the answer and the welcome", got)
	}
	say(t, web, "web: hi poller")
	if got := p.poll(t, 1); got[0] != `42["chat message","web: hi poller"]` {
		t.Errorf("poller got %q", got)
	}
	p.post(t, `42["chat message",{"nick":"pat","text":"hi web"}]`)
	for _, want := range []string{"web: hi poller", "pat: hi web"} {
		if got := readText(t, web); got != want {
			t.Errorf("web got %q, want %q", got, want)
		}
	}
}

// TestServeSocketIOShutdown checks that SIGINT or SIGTERM tells every
// client: the WebSocket clients with 1001, the Socket.IO clients over
// WebSocket with 1001 too (as the reference server, Engine.IO sends no
// close packet there), those on long-polling with the close packet, which
// answers the pending request at once rather than at the end of the
// bounded shutdown.
func TestServeSocketIOShutdown(t *testing.T) {
	s := startChat(t, serveConfig{shutdownTimeout: chatTimeout})
	web := s.join(t)
	sio := s.sioJoin(t)
	p, _ := openPolling(t, s.sioURL(), "/socket.io/")
	p.post(t, "40")
	p.poll(t, 2)
	s.logs.waitFor(t, "transport=polling")
	polled := make(chan string, 1)
	go func() {
		resp, err := http.Get(p.url)
		if err != nil {
			polled <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		polled <- string(b)
	}()
	// The GET is pending once the server has it; give it a moment.
	time.Sleep(100 * time.Millisecond)

	start := time.Now()
	s.stop()
	if ce := readClose(t, web); ce.Code != websocket.StatusGoingAway {
		t.Errorf("WebSocket client: closed with %v, want 1001", ce)
	}
	sio.expectClosed(t)
	if code := websocket.CloseStatus(sio.err); code != websocket.StatusGoingAway {
		t.Errorf("Socket.IO client: connection ended with %v, want 1001", sio.err)
	}
	if body := <-polled; body != "1" {
		t.Errorf("pending poll answered with %q, want the close packet", body)
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
	if d := time.Since(start); d >= chatTimeout {
		t.Errorf("shutdown took %v, the whole --shutdown-timeout", d)
	}
	logs := s.logs.String()
	if strings.Count(logs, `msg="socket.io connection closed"`) != 2 || strings.Count(logs, `reason="server shutting down"`) != 2 {
		t.Errorf("want two Socket.IO clients disconnected with \"server shutting down\" in:\n%s", logs)
	}
	for _, bad := range []string{"still running", "not every client"} {
		if strings.Contains(logs, bad) {
			t.Errorf("the shutdown ran out of time:\n%s", logs)
		}
	}
	checkNoGoroutines(t, "main.(*chatServer)", "main.(*socketChat)", "main.serveChat",
		"/internal/chat.", "duplex/socketio.", "duplex/engineio.")
}

// TestServeSocketIORoutes checks that /socket.io/ is served, unless
// turned off, and that the page at / is unchanged.
func TestServeSocketIORoutes(t *testing.T) {
	on := startChat(t, serveConfig{})
	off := startChat(t, serveConfig{noSocketIO: true})
	handshake := "/socket.io/?EIO=4&transport=polling"
	if resp, body := httpGet(t, on.httpURL()+handshake, nil); resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, `0{"sid":"`) {
		t.Errorf("GET %s: %d %q, want the open packet", handshake, resp.StatusCode, body)
	}
	if resp, body := httpGet(t, on.httpURL()+"/socket.io/", nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"code":0`) {
		t.Errorf("GET /socket.io/: %d %q, want Engine.IO's 400", resp.StatusCode, body)
	}
	if resp, _ := httpGet(t, off.httpURL()+handshake, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("without Socket.IO, GET %s: %d, want 404", handshake, resp.StatusCode)
	}
	// Long-polling requests that succeed are logged at debug level only.
	on.logs.waitFor(t, "level=DEBUG msg=request method=GET path=/socket.io/ status=200")
	on.logs.waitFor(t, "level=INFO msg=request method=GET path=/socket.io/ status=400")
	if strings.Contains(on.logs.String(), "sid=") || strings.Contains(on.logs.String(), "EIO=") {
		t.Errorf("a query string was logged:\n%s", on.logs.String())
	}
	for _, s := range []*chatTest{on, off} {
		if resp, body := httpGet(t, s.httpURL()+"/", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, "<!doctype html>") {
			t.Errorf("GET /: %d %.40q, want the page", resp.StatusCode, body)
		}
	}
	// The WebSocket chat works without Socket.IO.
	c := off.join(t)
	say(t, c, "solo: hi")
	if got := readText(t, c); got != "solo: hi" {
		t.Errorf("got %q", got)
	}
}

// TestServeSocketIOFlag checks --no-socketio on the command line.
func TestServeSocketIOFlag(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
	}{
		{[]string{"--addr", "127.0.0.1:0"}, http.StatusOK},
		{[]string{"--addr", "127.0.0.1:0", "--no-socketio"}, http.StatusNotFound},
	} {
		url, logs := runServeInBackground(t, tc.args...)
		if resp, _ := httpGet(t, url+"socket.io/?EIO=4&transport=polling", nil); resp.StatusCode != tc.status {
			t.Errorf("serve %q: GET /socket.io/: %d, want %d", tc.args, resp.StatusCode, tc.status)
		}
		logs.waitFor(t, fmt.Sprintf("socketio=%v", tc.status == http.StatusOK))
	}
}

// TestServeSocketIOOrigins checks that --allowed-origins governs the
// Socket.IO transports as it does the chat's WebSocket.
func TestServeSocketIOOrigins(t *testing.T) {
	s := startChat(t, serveConfig{accept: websocket.AcceptOptions{OriginPatterns: []string{"chat.example"}}})
	anyOrigin := startChat(t, serveConfig{accept: websocket.AcceptOptions{InsecureSkipVerify: true}})
	ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
	defer cancel()
	wsURL := "ws://" + s.addr + "/socket.io/?EIO=4&transport=websocket"
	for origin, ok := range map[string]bool{
		"https://evil.example":      false,
		"https://chat.example":      true,
		"https://chat.example:8443": true, // a pattern without a port allows any
		"http://" + s.addr:          true, // the server's own host
	} {
		c, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
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
	handshake := "/socket.io/?EIO=4&transport=polling"
	for _, tc := range []struct {
		server        *chatTest
		origin, allow string
	}{
		{s, "https://chat.example", "https://chat.example"},
		{s, "https://evil.example", ""},
		{anyOrigin, "https://evil.example", "*"},
	} {
		resp, _ := httpGet(t, tc.server.httpURL()+handshake, http.Header{"Origin": {tc.origin}})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.allow {
			t.Errorf("polling from %s: Access-Control-Allow-Origin %q, want %q", tc.origin, got, tc.allow)
		}
	}
}

// TestServeSocketIOSlowClient checks that a Socket.IO client that stops
// reading is disconnected once chatQueueSize messages wait for it, while
// the room goes on.
func TestServeSocketIOSlowClient(t *testing.T) {
	s := startChat(t, serveConfig{})
	web := s.join(t)
	fast := s.sioJoin(t)
	slow := s.sioJoin(t) // its reader stops once 64 messages wait in slow.msgs
	line := "web: " + strings.Repeat("x", 32<<10)
	for i := 0; !strings.Contains(s.logs.String(), "disconnecting a slow client"); i++ {
		if i == 1000 {
			t.Fatalf("no slow client disconnected after %d lines of %d bytes", i, len(line))
		}
		say(t, web, line)
		if got := readText(t, web); got != line {
			t.Fatalf("web got %.40q", got)
		}
		fast.expectLine(t, line, "")
	}
	// The lines queued before the disconnection still arrive, then the end.
	for timeout := time.After(chatTimeout); ; {
		select {
		case _, ok := <-slow.msgs:
			if ok {
				continue
			}
		case <-timeout:
			t.Fatal("the slow client is still connected")
		}
		break
	}
	s.logs.waitFor(t, `reason="forced server close"`)
	say(t, web, "web: still here")
	fast.expectLine(t, "web: still here", "")
}
