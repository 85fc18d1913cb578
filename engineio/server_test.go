package engineio_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/websocket"
)

func TestShutdown(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, polling := ts.open(t)
	pending := ts.pollAsync(t, sid)
	waitFor(t, "the GET is pending", polling.s.PollPending)
	idleSID, idle := ts.open(t)
	backSID, back := ts.open(t)
	back.s.Send([]byte("last"), false)
	c, _, ws := ts.openWS(t, nil)
	probeSID, probing := ts.open(t)
	probe := ts.dial(t, "EIO=4&transport=websocket&sid="+probeSID, nil)
	waitFor(t, "the probe is accepted", probing.s.Probing)
	if n := ts.srv.Len(); n != 5 {
		t.Fatalf("Len %d, want 5", n)
	}

	// The clients answer the close frames while Shutdown waits, and one
	// polling client comes back for its last message and the close
	// packet; the other does not and is dropped after a second.
	closes := []<-chan error{drain(c), drain(probe)}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- ts.srv.Shutdown(ctx) }()
	if res := ts.poll(t, backSID); res.body != "4last" {
		t.Errorf("GET during Shutdown: %q, want the queued message", res.body)
	}
	if res := ts.poll(t, backSID); res.body != "1" {
		t.Errorf("second GET during Shutdown: %q, want the close packet", res.body)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("Shutdown returned after %v, before the idle polling client's grace ended", d)
	}
	for _, p := range []*peer{polling, idle, back, ws, probing} {
		p.wantClose(t, "server shutting down")
	}
	if res := await(t, pending); res.body != "1" {
		t.Errorf("pending GET: %q, want the close packet", res.body)
	}
	for _, ch := range closes {
		var ce *websocket.CloseError
		if err := <-ch; !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason != "server shutting down" {
			t.Errorf("WebSocket close: %v, want 1001 server shutting down", err)
		}
	}
	if n := ts.srv.Len(); n != 0 {
		t.Errorf("Len %d after Shutdown", n)
	}
	wantError(t, ts.poll(t, idleSID), 400, 1, "Session ID unknown")
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	if res.status != http.StatusServiceUnavailable {
		t.Errorf("handshake after Shutdown: %d %s, want 503", res.status, res.body)
	}
}

// TestShutdownDeadline: Shutdown gives up when ctx ends before an OnClose
// returns.
func TestShutdownDeadline(t *testing.T) {
	release := make(chan struct{})
	ts := newServer(t, &engineio.Options{OnSession: func(s *engineio.Session) {
		s.OnClose(func(string, error) { <-release })
	}}, false)
	ts.do(t, "GET", "EIO=4&transport=polling", "")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Errorf("Shutdown: %v, want the deadline", err)
	}
	close(release)
}

// TestOnSession: the callbacks set in OnSession see everything; messages
// sent from OnSession follow the open packet.
func TestOnSession(t *testing.T) {
	for _, transport := range []string{"polling", "websocket"} {
		t.Run(transport, func(t *testing.T) {
			ts := newServer(t, &engineio.Options{OnSession: func(s *engineio.Session) {
				if err := s.Send([]byte("welcome"), false); err != nil {
					t.Error(err)
				}
			}}, false)
			if transport == "polling" {
				res := ts.do(t, "GET", "EIO=4&transport=polling", "")
				if len(res.body) < 10 || res.body[len(res.body)-9:] != "\x1e4welcome" {
					t.Errorf("handshake response %q", res.body)
				}
				return
			}
			c := ts.dial(t, "EIO=4&transport=websocket", nil)
			parseOpen(t, readText(t, c))
			if got := readText(t, c); got != "4welcome" {
				t.Errorf("second message %q", got)
			}
		})
	}
}

// TestCloseInOnSession: a session closed by OnSession still gets its open
// packet to the client, then the close (on polling, with the next GET).
func TestCloseInOnSession(t *testing.T) {
	reasons := make(chan string, 2)
	ts := newServer(t, &engineio.Options{OnSession: func(s *engineio.Session) {
		s.OnClose(func(reason string, _ error) { reasons <- reason })
		s.Close()
	}}, false)
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	sid := parseOpen(t, res.body).SID
	if res := ts.poll(t, sid); res.body != "1" {
		t.Errorf("GET after the handshake: %q", res.body)
	}
	c := ts.dial(t, "EIO=4&transport=websocket", nil)
	parseOpen(t, readText(t, c))
	readClose(t, c)
	for range 2 {
		if r := <-reasons; r != "forced close" {
			t.Errorf("reason %q", r)
		}
	}
}

// TestCallbacksOneAtATime: OnMessage calls never overlap, even during an
// upgrade when a POST and the WebSocket both deliver, and OnClose comes
// after the last one.
func TestCallbacksOneAtATime(t *testing.T) {
	var running, overlaps, afterClose atomic.Int32
	var closed atomic.Bool
	done := make(chan struct{})
	ts := newServer(t, &engineio.Options{OnSession: func(s *engineio.Session) {
		s.OnMessage(func(data []byte, binary bool) {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			if closed.Load() {
				afterClose.Add(1)
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
		})
		s.OnClose(func(string, error) {
			if running.Load() != 0 {
				overlaps.Add(1)
			}
			closed.Store(true)
			close(done)
		})
	}}, false)
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	sid := parseOpen(t, res.body).SID
	c := ts.dial(t, "EIO=4&transport=websocket&sid="+sid, nil)
	write(t, c, websocket.MessageText, "2probe")
	readText(t, c)
	// POSTs race with the upgrade and the WebSocket's messages after it;
	// they get 400 once the session is on WebSocket.
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 200 {
			if res := ts.push(t, sid, "4a\x1e4b"); res.status != 200 {
				return
			}
		}
	})
	time.Sleep(5 * time.Millisecond)
	write(t, c, websocket.MessageText, "5")
	for range 20 {
		write(t, c, websocket.MessageText, "4c")
	}
	wg.Wait()
	write(t, c, websocket.MessageText, "1")
	<-done
	if overlaps.Load() != 0 || afterClose.Load() != 0 {
		t.Errorf("%d overlapping calls, %d after OnClose", overlaps.Load(), afterClose.Load())
	}
}

// TestNoLeaks ends sessions by every path and checks that no goroutine of
// the package is left (newServer's leak check runs at the end).
func TestNoLeaks(t *testing.T) {
	opts := engineio.Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond, UpgradeTimeout: time.Second, MaxHTTPBufferSize: 64}
	ts := newServer(t, &opts, false)
	upgraded := func() (*websocket.Conn, *peer) {
		sid, p := ts.open(t)
		c := ts.dial(t, "EIO=4&transport=websocket&sid="+sid, nil)
		write(t, c, websocket.MessageText, "2probe")
		readText(t, c)
		write(t, c, websocket.MessageText, "5")
		waitFor(t, "the upgrade", func() bool { return p.s.Transport() == "websocket" })
		return c, p
	}
	for _, tc := range []struct {
		name   string
		reason string
		run    func() *peer
	}{
		{"polling close packet", "transport close", func() *peer {
			sid, p := ts.open(t)
			ts.push(t, sid, "1")
			return p
		}},
		{"polling ping timeout", "ping timeout", func() *peer { _, p := ts.open(t); return p }},
		{"polling parse error", "parse error", func() *peer {
			sid, p := ts.open(t)
			ts.push(t, sid, "x")
			return p
		}},
		{"polling forced close", "forced close", func() *peer {
			sid, p := ts.open(t)
			ch := ts.pollAsync(t, sid)
			waitFor(t, "the GET is pending", p.s.PollPending)
			p.s.Close()
			await(t, ch)
			return p
		}},
		{"polling overlap", "transport error", func() *peer {
			sid, p := ts.open(t)
			ch := ts.pollAsync(t, sid)
			waitFor(t, "the GET is pending", p.s.PollPending)
			ts.poll(t, sid)
			await(t, ch)
			return p
		}},
		{"polling too large", "transport error", func() *peer {
			sid, p := ts.open(t)
			ts.push(t, sid, "4"+string(make([]byte, 64)))
			return p
		}},
		{"websocket close frame", "transport close", func() *peer {
			c, _, p := ts.openWS(t, nil)
			c.Close(websocket.StatusNormalClosure, "")
			return p
		}},
		{"websocket dropped", "transport close", func() *peer {
			c, _, p := ts.openWS(t, nil)
			c.CloseNow()
			return p
		}},
		{"websocket ping timeout", "ping timeout", func() *peer {
			c, _, p := ts.openWS(t, nil)
			drain(c)
			return p
		}},
		{"websocket too large", "transport error", func() *peer {
			c, _, p := ts.openWS(t, nil)
			write(t, c, websocket.MessageBinary, string(make([]byte, 65)))
			drain(c)
			return p
		}},
		{"websocket forced close", "forced close", func() *peer {
			c, _, p := ts.openWS(t, nil)
			drain(c)
			p.s.Send([]byte("bye"), false)
			p.s.Close()
			return p
		}},
		{"upgraded close frame", "transport close", func() *peer {
			c, p := upgraded()
			c.Close(websocket.StatusNormalClosure, "")
			return p
		}},
		{"upgraded parse error", "parse error", func() *peer {
			c, p := upgraded()
			write(t, c, websocket.MessageText, "")
			drain(c)
			return p
		}},
		{"abandoned probe, then timeout", "ping timeout", func() *peer {
			sid, p := ts.open(t)
			ts.dial(t, "EIO=4&transport=websocket&sid="+sid, nil)
			return p
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run().wantClose(t, tc.reason)
		})
	}
	waitFor(t, "every session is gone", func() bool { return ts.srv.Len() == 0 })
}
