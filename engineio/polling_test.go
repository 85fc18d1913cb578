package engineio_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
)

// TestPollingEcho runs the message cases of the protocol's test suite.
func TestPollingEcho(t *testing.T) {
	ts := newServer(t, nil, true)
	for _, payload := range []string{
		"4hello",
		"4test1\x1e4test2\x1e4test3",
		"4hello\x1ebAQIDBA==",
		"4\u00e9\u20ac\U0001d11e",
		"4", // an empty text message
		"b", // an empty binary message
	} {
		sid, _ := ts.open(t)
		res := ts.push(t, sid, payload)
		if res.status != 200 || res.body != "ok" || res.header.Get("Content-Type") != "text/html" {
			t.Fatalf("POST %q: %d %q (%s)", payload, res.status, res.body, res.header.Get("Content-Type"))
		}
		res = ts.poll(t, sid)
		if res.status != 200 || res.body != payload || res.header.Get("Content-Type") != "text/plain; charset=UTF-8" {
			t.Errorf("GET after POST %q: %d %q (%s)", payload, res.status, res.body, res.header.Get("Content-Type"))
		}
	}
}

func TestPollingMessages(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	ts.push(t, sid, "4hello\x1ebAQIDBA==\x1e4\u00e9")
	for _, want := range []msg{{"hello", false}, {"\x01\x02\x03\x04", true}, {"\u00e9", false}} {
		if got := p.nextMsg(t); got != want {
			t.Errorf("message %+v, want %+v", got, want)
		}
	}
	// A GET waits for the server's messages.
	ch := ts.pollAsync(t, sid)
	waitFor(t, "the GET is pending", p.s.PollPending)
	if err := p.s.Send([]byte("one"), false); err != nil {
		t.Fatal(err)
	}
	if res := await(t, ch); res.status != 200 || res.body != "4one" {
		t.Errorf("pending GET: %d %q", res.status, res.body)
	}
	// Messages sent between GETs travel together.
	p.s.Send([]byte("two"), false)
	p.s.Send([]byte{0xff, 0x00}, true)
	p.s.Send(nil, false)
	if res := ts.poll(t, sid); res.body != "4two\x1eb/wA=\x1e4" {
		t.Errorf("GET: %q", res.body)
	}
}

// TestPollingDuplicateGet: "a client MUST NOT have more than one active
// GET request. Should it happen, the server MUST return an HTTP 400 error
// status and close the session."
func TestPollingDuplicateGet(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	first := ts.pollAsync(t, sid)
	waitFor(t, "the GET is pending", p.s.PollPending)
	wantError(t, ts.poll(t, sid), 400, 3, "Bad request")
	if res := await(t, first); res.status != 200 || res.body != "1" {
		t.Errorf("pending GET: %d %q, want the close packet", res.status, res.body)
	}
	p.wantClose(t, "transport error")
	wantError(t, ts.poll(t, sid), 400, 1, "Session ID unknown")
}

// TestPollingDuplicatePost: a POST while another one is being read gets
// 400 and closes the session.
func TestPollingDuplicatePost(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	conn, err := net.Dial("tcp", ts.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A POST that announces more body than it sends.
	fmt.Fprintf(conn, "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n4hel", sid)
	waitFor(t, "the server reads the POST", p.s.Posting)
	wantError(t, ts.push(t, sid, "4second"), 400, 3, "Bad request")
	p.wantClose(t, "transport error")
}

func TestPollingPayloadLimit(t *testing.T) {
	ts := newServer(t, &engineio.Options{MaxHTTPBufferSize: 100}, false)
	sid, p := ts.open(t)
	fits := "4" + strings.Repeat("a", 99)
	if res := ts.push(t, sid, fits); res.status != 200 {
		t.Fatalf("POST of maxPayload bytes: %d %s", res.status, res.body)
	}
	if m := p.nextMsg(t); m.data != fits[1:] {
		t.Errorf("got %d bytes", len(m.data))
	}
	res := ts.push(t, sid, fits+"a")
	if res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("POST of maxPayload+1 bytes: %d %s, want 413", res.status, res.body)
	}
	p.wantClose(t, "transport error")
	wantError(t, ts.poll(t, sid), 400, 1, "Session ID unknown")

	// Without Content-Length, the body is cut at the limit all the same.
	sid, p = ts.open(t)
	req, _ := http.NewRequest("POST", ts.url+"?EIO=4&transport=polling&sid="+sid, io.MultiReader(strings.NewReader(fits), strings.NewReader("aaaa")))
	req.ContentLength = -1
	if res := ts.send(t, req); res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked POST over maxPayload: %d %s, want 413", res.status, res.body)
	}
	p.wantClose(t, "transport error")
}

// TestPollingParseError: an invalid packet closes the session.
func TestPollingParseError(t *testing.T) {
	ts := newServer(t, nil, false)
	for _, payload := range []string{
		"abc",            // unknown packet type
		"",               // empty payload
		"4a\x1e",         // empty record
		"\x1e4a",         // empty record
		"4a\x1e7",        // unknown packet type after a good one
		"b!!!",           // bad base64
		"bAQIDBA",        // base64 without its padding
		"4\xff\xfe",      // not UTF-8
		"4\xed\xa0\x80a", // a surrogate in UTF-8
	} {
		sid, p := ts.open(t)
		if res := ts.push(t, sid, payload); res.status != 400 {
			t.Errorf("POST %q: %d %q, want 400", payload, res.status, res.body)
		}
		if ev := p.wantClose(t, "parse error"); ev.err == nil {
			t.Errorf("%q: no error with the parse error", payload)
		}
		wantError(t, ts.poll(t, sid), 400, 1, "Session ID unknown")
		if payload == "4a\x1e7" {
			if m := p.nextMsg(t); m.data != "a" {
				t.Errorf("the message before the bad packet: %+v", m)
			}
		}
	}
}

// TestPollingClosePacket: a POSTed close packet ends a pending GET with a
// noop and closes the session (the protocol test suite's "forcefully
// closes the session").
func TestPollingClosePacket(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	ch := ts.pollAsync(t, sid)
	waitFor(t, "the GET is pending", p.s.PollPending)
	if res := ts.push(t, sid, "1"); res.status != 200 || res.body != "ok" {
		t.Errorf("POST close: %d %q", res.status, res.body)
	}
	if res := await(t, ch); res.status != 200 || res.body != "6" {
		t.Errorf("pending GET: %d %q, want a noop", res.status, res.body)
	}
	if ev := p.wantClose(t, "transport close"); ev.err != nil {
		t.Errorf("err %v", ev.err)
	}
	wantError(t, ts.poll(t, sid), 400, 1, "Session ID unknown")
	if err := p.s.Send([]byte("late"), false); err != engineio.ErrClosed {
		t.Errorf("Send after close: %v", err)
	}
}

// TestPollingAbortedGet: a client that gives up a pending GET loses the
// session (the protocol test suite's "closes the session upon cancelled
// polling request").
func TestPollingAbortedGet(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url+"?EIO=4&transport=polling&sid="+sid, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := ts.client.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	waitFor(t, "the GET is pending", p.s.PollPending)
	cancel()
	<-done
	p.wantClose(t, "transport error")
	wantError(t, ts.poll(t, sid), 400, 1, "Session ID unknown")
}

// TestPollingServerClose: Close sends the queued messages and the close
// packet, on the pending GET or the next one.
func TestPollingServerClose(t *testing.T) {
	ts := newServer(t, nil, false)

	sid, p := ts.open(t)
	ch := ts.pollAsync(t, sid)
	waitFor(t, "the GET is pending", p.s.PollPending)
	if err := p.s.Close(); err != nil {
		t.Fatal(err)
	}
	if res := await(t, ch); res.body != "1" {
		t.Errorf("pending GET: %q", res.body)
	}
	if ev := p.wantClose(t, "forced close"); ev.err != nil {
		t.Errorf("err %v", ev.err)
	}

	sid, p = ts.open(t)
	p.s.Send([]byte("bye"), false)
	p.s.Close()
	if err := p.s.Close(); err != engineio.ErrClosed {
		t.Errorf("second Close: %v", err)
	}
	if err := p.s.Send([]byte("late"), false); err != engineio.ErrClosed {
		t.Errorf("Send after Close: %v", err)
	}
	if res := ts.push(t, sid, "4ignored"); res.status != 200 {
		t.Errorf("POST while closing: %d %s", res.status, res.body)
	}
	// The queued message and the close packet come in two responses, as
	// with the reference server.
	if res := ts.poll(t, sid); res.body != "4bye" {
		t.Errorf("GET after Close: %q", res.body)
	}
	if res := ts.poll(t, sid); res.body != "1" {
		t.Errorf("second GET after Close: %q", res.body)
	}
	p.wantClose(t, "forced close")
	select {
	case m := <-p.msgs:
		t.Errorf("message %+v delivered while closing", m)
	default:
	}
}

// TestPollingServerCloseWithoutGet: a closing session whose client does
// not poll again finishes after PingInterval+PingTimeout.
func TestPollingServerCloseWithoutGet(t *testing.T) {
	ts := newServer(t, &engineio.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond}, false)
	_, p := ts.open(t)
	p.s.Close()
	p.wantClose(t, "forced close")
}

func TestPollingBadRequests(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	wantError(t, ts.do(t, "PUT", "EIO=4&transport=polling&sid="+sid, "4x"), 400, 3, "Bad request")
	if p.s.Transport() != "polling" || ts.srv.Len() != 1 {
		t.Error("PUT closed the session")
	}
	// Protocol v4 sends binary data as base64 text.
	req, _ := http.NewRequest("POST", ts.url+"?EIO=4&transport=polling&sid="+sid, strings.NewReader("\x04\x01"))
	req.Header.Set("Content-Type", "application/octet-stream")
	wantError(t, ts.send(t, req), 400, 3, "Bad request")
	p.wantClose(t, "transport error")
}

// TestPollingPingFromClient: in protocol v4 the server pings; a ping from
// the client is a transport error, as with the reference server.
func TestPollingPingFromClient(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	ts.push(t, sid, "2")
	p.wantClose(t, "transport error")
}

func TestPollingIgnoredPackets(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	// open, upgrade on polling and noop mean nothing from a client.
	if res := ts.push(t, sid, "0\x1e5\x1e6\x1e4after"); res.status != 200 {
		t.Fatalf("POST: %d %s", res.status, res.body)
	}
	if m := p.nextMsg(t); m.data != "after" {
		t.Errorf("message %+v", m)
	}
}

func TestSendQueue(t *testing.T) {
	ts := newServer(t, &engineio.Options{SendQueueMessages: 3, SendQueueBytes: 10}, false)
	sid, p := ts.open(t)
	for i, want := range []error{nil, nil, nil, engineio.ErrQueueFull} {
		if err := p.s.Send([]byte{'a' + byte(i)}, false); err != want {
			t.Errorf("Send %d: %v, want %v", i, err, want)
		}
	}
	if res := ts.poll(t, sid); res.body != "4a\x1e4b\x1e4c" {
		t.Errorf("GET: %q", res.body)
	}
	// Bytes: a large message goes into an empty queue, not after another.
	if err := p.s.Send([]byte(strings.Repeat("x", 20)), true); err != nil {
		t.Errorf("large message into an empty queue: %v", err)
	}
	if err := p.s.Send([]byte("y"), false); err != engineio.ErrQueueFull {
		t.Errorf("message after a full queue's bytes: %v", err)
	}
	ts.poll(t, sid)
	if err := p.s.Send([]byte("1234567890"), false); err != nil {
		t.Error(err)
	}
	if err := p.s.Send([]byte("1"), false); err != engineio.ErrQueueFull {
		t.Errorf("one byte over SendQueueBytes: %v", err)
	}
}

func TestSendInvalidText(t *testing.T) {
	ts := newServer(t, nil, false)
	_, p := ts.open(t)
	for _, bad := range []string{"a\x1eb", "\xff", "\xed\xa0\x80"} {
		if err := p.s.Send([]byte(bad), false); err != engineio.ErrInvalidText {
			t.Errorf("Send(%q): %v", bad, err)
		}
	}
	// Binary messages may hold anything.
	if err := p.s.Send([]byte("a\x1eb\xff"), true); err != nil {
		t.Error(err)
	}
}

// TestSendCopies: Send keeps no reference to its argument.
func TestSendCopies(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	buf := []byte("abc")
	p.s.Send(buf, false)
	p.s.Send(buf, true)
	copy(buf, "xyz")
	if res := ts.poll(t, sid); res.body != "4abc\x1ebYWJj" {
		t.Errorf("GET: %q", res.body)
	}
}

// TestPollingConcurrentSends sends from many goroutines while the client
// polls; every message arrives once, each goroutine's in order.
func TestPollingConcurrentSends(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	const senders, each = 4, 50
	for g := range senders {
		go func() {
			for i := range each {
				for p.s.Send(fmt.Appendf(nil, "%d-%d", g, i), false) == engineio.ErrQueueFull {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	next := make([]int, senders)
	for n := 0; n < senders*each; {
		res := ts.poll(t, sid)
		for rec := range strings.SplitSeq(res.body, "\x1e") {
			var g, i int
			if _, err := fmt.Sscanf(rec, "4%d-%d", &g, &i); err != nil {
				t.Fatalf("record %q: %v", rec, err)
			}
			if i != next[g] {
				t.Fatalf("sender %d: message %d, want %d", g, i, next[g])
			}
			next[g]++
			n++
		}
	}
	if !slices.Equal(next, []int{each, each, each, each}) {
		t.Errorf("got %v", next)
	}
}
