package engineio_test

import (
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/websocket"
)

// Short heartbeats, as the protocol's test suite uses.
var quickHeartbeat = engineio.Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond}

func TestHeartbeatPolling(t *testing.T) {
	opts := quickHeartbeat
	ts := newServer(t, &opts, false)
	sid, p := ts.open(t)
	for range 3 {
		start := time.Now()
		if res := ts.poll(t, sid); res.status != 200 || res.body != "2" {
			t.Fatalf("GET: %d %q, want a ping", res.status, res.body)
		}
		if d := time.Since(start); d < 100*time.Millisecond {
			t.Errorf("ping after %v, want about PingInterval", d)
		}
		if res := ts.push(t, sid, "3"); res.status != 200 {
			t.Fatalf("POST pong: %d %s", res.status, res.body)
		}
	}
	if ts.srv.Len() != 1 {
		t.Error("the session closed")
	}
	// No pong: the session ends.
	if res := ts.poll(t, sid); res.body != "2" {
		t.Fatalf("GET: %q", res.body)
	}
	start := time.Now()
	if ev := p.wantClose(t, "ping timeout"); ev.err == nil {
		t.Error("no error with the ping timeout")
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("closed %v after the ping, want about PingTimeout", d)
	}
	wantError(t, ts.poll(t, sid), 400, 1, "Session ID unknown")
}

// TestHeartbeatPollingTimeout: a client that never polls times out (the
// protocol test suite's "closes the session upon ping timeout").
func TestHeartbeatPollingTimeout(t *testing.T) {
	opts := quickHeartbeat
	ts := newServer(t, &opts, false)
	sid, p := ts.open(t)
	time.Sleep(opts.PingInterval + opts.PingTimeout + 50*time.Millisecond)
	p.wantClose(t, "ping timeout")
	wantError(t, ts.poll(t, sid), 400, 1, "Session ID unknown")
}

func TestHeartbeatWebSocket(t *testing.T) {
	opts := quickHeartbeat
	ts := newServer(t, &opts, false)
	c, _, p := ts.openWS(t, nil)
	for range 3 {
		if got := readText(t, c); got != "2" {
			t.Fatalf("got %q, want a ping", got)
		}
		write(t, c, websocket.MessageText, "3")
	}
	if got := readText(t, c); got != "2" {
		t.Fatalf("got %q, want a ping", got)
	}
	p.wantClose(t, "ping timeout")
	readClose(t, c)
}

// TestHeartbeatAnyPacket: like the reference server, a client that sends
// other packets while its pong is late is not dropped.
func TestHeartbeatAnyPacket(t *testing.T) {
	opts := engineio.Options{PingInterval: 100 * time.Millisecond, PingTimeout: 400 * time.Millisecond}
	ts := newServer(t, &opts, false)
	c, _, p := ts.openWS(t, nil)
	if got := readText(t, c); got != "2" {
		t.Fatalf("got %q", got)
	}
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		write(t, c, websocket.MessageText, "4busy")
	}
	write(t, c, websocket.MessageText, "3")
	select {
	case ev := <-p.closed:
		t.Fatalf("closed: %q", ev.reason)
	default:
	}
	if got := readText(t, c); got != "2" {
		t.Fatalf("got %q", got)
	}
	write(t, c, websocket.MessageText, "3")
}
