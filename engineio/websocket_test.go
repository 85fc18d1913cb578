package engineio_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/websocket"
)

func TestWebSocketHandshake(t *testing.T) {
	ts := newServer(t, nil, false)
	_, hs, p := ts.openWS(t, nil)
	if len(hs.Upgrades) != 0 || hs.Upgrades == nil || hs.PingInterval != 25000 || hs.PingTimeout != 20000 || hs.MaxPayload != 1000000 {
		t.Errorf("handshake %+v", hs)
	}
	if p.s.ID() != hs.SID || p.s.Transport() != "websocket" {
		t.Errorf("session %q on %q", p.s.ID(), p.s.Transport())
	}
}

func TestWebSocketMessages(t *testing.T) {
	ts := newServer(t, nil, true)
	c, _, p := ts.openWS(t, nil)
	write(t, c, websocket.MessageText, "4hello \u00e9")
	if got := readText(t, c); got != "4hello \u00e9" {
		t.Errorf("echo %q", got)
	}
	write(t, c, websocket.MessageBinary, "\x01\x02\x03\x04")
	if typ, got := read(t, c); typ != websocket.MessageBinary || got != "\x01\x02\x03\x04" {
		t.Errorf("binary echo: %v %q", typ, got)
	}
	// A base64 packet in a text message is a binary message too, as the
	// reference server decodes it.
	write(t, c, websocket.MessageText, "bAQIDBA==")
	if typ, got := read(t, c); typ != websocket.MessageBinary || got != "\x01\x02\x03\x04" {
		t.Errorf("binary echo: %v %q", typ, got)
	}
	write(t, c, websocket.MessageText, "4")
	if got := readText(t, c); got != "4" {
		t.Errorf("empty message echo %q", got)
	}
	for _, want := range []msg{{"hello \u00e9", false}, {"\x01\x02\x03\x04", true}, {"\x01\x02\x03\x04", true}, {"", false}} {
		if got := p.nextMsg(t); got != want {
			t.Errorf("message %+v, want %+v", got, want)
		}
	}
}

// TestWebSocketErrors: handshakes the server refuses before the upgrade.
func TestWebSocketErrors(t *testing.T) {
	ts := newServer(t, nil, false)
	for _, q := range []string{
		"transport=websocket",
		"EIO=abc&transport=websocket",
		"EIO=4",
		"EIO=4&transport=abc",
		"EIO=4&transport=websocket&sid=unknown",
	} {
		if status := ts.dialError(t, q, nil); status != 400 {
			t.Errorf("%s: %d, want 400", q, status)
		}
	}
}

func TestWebSocketParseError(t *testing.T) {
	ts := newServer(t, nil, false)
	c, _, p := ts.openWS(t, nil)
	write(t, c, websocket.MessageText, "abc")
	p.wantClose(t, "parse error")
	readClose(t, c)
}

// TestWebSocketClose: the client's close packet, close frame or dropped
// connection end the session with "transport close".
func TestWebSocketClose(t *testing.T) {
	ts := newServer(t, nil, false)

	c, _, p := ts.openWS(t, nil)
	write(t, c, websocket.MessageText, "1")
	p.wantClose(t, "transport close")
	readClose(t, c)

	c, _, p = ts.openWS(t, nil)
	c.Close(websocket.StatusNormalClosure, "")
	ev := p.wantClose(t, "transport close")
	if websocket.CloseStatus(ev.err) != websocket.StatusNormalClosure {
		t.Errorf("err %v, want the client's close frame", ev.err)
	}

	c, _, p = ts.openWS(t, nil)
	c.CloseNow()
	p.wantClose(t, "transport close")
	if ts.srv.Len() != 0 {
		t.Errorf("%d sessions left", ts.srv.Len())
	}
}

func TestWebSocketMaxPayload(t *testing.T) {
	ts := newServer(t, &engineio.Options{MaxHTTPBufferSize: 100}, true)
	c, _, p := ts.openWS(t, nil)
	fits := "4" + strings.Repeat("a", 99)
	write(t, c, websocket.MessageText, fits)
	if got := readText(t, c); got != fits {
		t.Errorf("echo of %d bytes: %d bytes", len(fits), len(got))
	}
	write(t, c, websocket.MessageText, fits+"a")
	p.nextMsg(t)
	p.wantClose(t, "transport error")
	if err := readClose(t, c); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("close %v, want 1009", err)
	}
}

// TestWebSocketServerClose: Close sends the queued messages, then closes
// the connection normally.
func TestWebSocketServerClose(t *testing.T) {
	ts := newServer(t, nil, false)
	c, _, p := ts.openWS(t, nil)
	for _, m := range []string{"one", "two", "three"} {
		p.s.Send([]byte(m), false)
	}
	p.s.Send([]byte{0}, true)
	p.s.Close()
	if err := p.s.Send([]byte("late"), false); err != engineio.ErrClosed {
		t.Errorf("Send after Close: %v", err)
	}
	for _, want := range []string{"4one", "4two", "4three", "\x00"} {
		if _, got := read(t, c); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if err := readClose(t, c); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("close %v, want 1000", err)
	}
	p.wantClose(t, "forced close")
}

func TestWebSocketCompression(t *testing.T) {
	offer := &websocket.DialOptions{Compression: &websocket.CompressionOptions{}}
	t.Run("on", func(t *testing.T) {
		ts := newServer(t, &engineio.Options{Compression: &websocket.CompressionOptions{Threshold: -1}}, true)
		c, _, _ := ts.openWS(t, offer)
		if !strings.HasPrefix(c.Extensions(), "permessage-deflate") {
			t.Fatalf("extensions %q", c.Extensions())
		}
		big := "4" + strings.Repeat("compress me ", 1000)
		write(t, c, websocket.MessageText, big)
		if got := readText(t, c); got != big {
			t.Errorf("echo of %d bytes: %d bytes", len(big), len(got))
		}
	})
	t.Run("off", func(t *testing.T) {
		ts := newServer(t, nil, false)
		c, _, _ := ts.openWS(t, offer)
		if c.Extensions() != "" {
			t.Errorf("extensions %q without Options.Compression", c.Extensions())
		}
	})
}

// TestWebSocketOrigin: without CORS, only pages of the same host may open
// WebSocket sessions; CORS origins widen that.
func TestWebSocketOrigin(t *testing.T) {
	origin := func(o string) http.Header { return http.Header{"Origin": {o}} }
	for _, tc := range []struct {
		name    string
		cors    *engineio.CORS
		allowed map[string]bool
	}{
		{"no CORS", nil, map[string]bool{"http://evil.example": false, "same": true}},
		{"any", &engineio.CORS{Origins: []string{"*"}}, map[string]bool{"http://evil.example": true, "same": true}},
		{"list", &engineio.CORS{Origins: []string{"https://app.example/"}}, map[string]bool{"https://app.example": true, "http://evil.example": false, "same": true}},
		{"func", &engineio.CORS{AllowOriginFunc: func(o string) bool { return strings.HasSuffix(o, ".example") }}, map[string]bool{"https://app.example": true, "http://evil.test": false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newServer(t, &engineio.Options{CORS: tc.cors}, false)
			for o, ok := range tc.allowed {
				if o == "same" {
					o = ts.ts.URL
				}
				if ok {
					ts.dial(t, "EIO=4&transport=websocket", &websocket.DialOptions{HTTPHeader: origin(o)})
					ts.nextPeer(t)
				} else if status := ts.dialError(t, "EIO=4&transport=websocket", origin(o)); status != 403 {
					t.Errorf("origin %s: %d, want 403", o, status)
				}
			}
		})
	}
}

// TestWebSocketConcurrentSends: messages from several goroutines all
// arrive, each goroutine's in order, and the queue bound holds.
func TestWebSocketConcurrentSends(t *testing.T) {
	ts := newServer(t, nil, false)
	c, _, p := ts.openWS(t, nil)
	const senders, each = 4, 200
	errs := make(chan error, senders)
	for g := range senders {
		go func() {
			for i := range each {
				err := p.s.Send([]byte{byte(g), byte(i)}, true)
				for errors.Is(err, engineio.ErrQueueFull) {
					err = p.s.Send([]byte{byte(g), byte(i)}, true)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	next := make([]int, senders)
	for range senders * each {
		_, m := read(t, c)
		g, i := int(m[0]), int(m[1])
		if i != next[g] {
			t.Fatalf("sender %d: message %d, want %d", g, i, next[g])
		}
		next[g]++
	}
	for range senders {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
