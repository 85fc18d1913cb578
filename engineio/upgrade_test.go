package engineio_test

import (
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/websocket"
)

// TestUpgrade runs an upgrade from polling to WebSocket (spec: "Upgrade"),
// then checks that the session refuses polling and a second WebSocket.
func TestUpgrade(t *testing.T) {
	ts := newServer(t, nil, true)
	sid, p := ts.open(t)
	pending := ts.pollAsync(t, sid)
	waitFor(t, "the GET is pending", p.s.PollPending)

	c := ts.dial(t, "EIO=4&transport=websocket&sid="+sid, nil)
	write(t, c, websocket.MessageText, "2probe")
	if got := readText(t, c); got != "3probe" {
		t.Fatalf("probe answer %q", got)
	}
	if res := await(t, pending); res.status != 200 || res.body != "6" {
		t.Errorf("pending GET: %d %q, want a noop", res.status, res.body)
	}
	// While the probe is under way, a GET gets a noop at once.
	if res := ts.poll(t, sid); res.body != "6" {
		t.Errorf("GET during the upgrade: %q", res.body)
	}
	if p.s.Transport() != "polling" {
		t.Errorf("transport %q before the upgrade packet", p.s.Transport())
	}
	write(t, c, websocket.MessageText, "5")
	write(t, c, websocket.MessageText, "4hello")
	if got := readText(t, c); got != "4hello" {
		t.Errorf("echo %q", got)
	}
	if p.s.Transport() != "websocket" {
		t.Errorf("transport %q after the upgrade", p.s.Transport())
	}
	wantError(t, ts.poll(t, sid), 400, 3, "Bad request")
	wantError(t, ts.push(t, sid, "4x"), 400, 3, "Bad request")
	if status := ts.dialError(t, "EIO=4&transport=websocket&sid="+sid, nil); status != 400 {
		t.Errorf("second WebSocket: %d, want 400", status)
	}
	// The session carries on.
	write(t, c, websocket.MessageText, "4again")
	if got := readText(t, c); got != "4again" {
		t.Errorf("echo %q", got)
	}
	c.Close(websocket.StatusNormalClosure, "")
	p.wantClose(t, "transport close")
}

// TestUpgradeOrder: messages the server sends before, during and after an
// upgrade arrive once each, in order.
func TestUpgradeOrder(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	p.s.Send([]byte("before"), false)
	if res := ts.poll(t, sid); res.body != "4before" {
		t.Errorf("GET %q", res.body)
	}
	c := ts.dial(t, "EIO=4&transport=websocket&sid="+sid, nil)
	waitFor(t, "the probe is accepted", p.s.Probing)
	p.s.Send([]byte("queued during the probe"), false)
	pending := ts.pollAsync(t, sid)
	if res := await(t, pending); res.body != "4queued during the probe" {
		t.Errorf("GET during the probe: %q", res.body)
	}
	write(t, c, websocket.MessageText, "2probe")
	readText(t, c)
	p.s.Send([]byte("after the probe"), false)
	p.s.Send([]byte{1, 2}, true)
	write(t, c, websocket.MessageText, "5")
	for _, want := range []string{"4after the probe", "\x01\x02"} {
		if _, got := read(t, c); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	p.s.Send([]byte("after the upgrade"), false)
	if got := readText(t, c); got != "4after the upgrade" {
		t.Errorf("got %q", got)
	}
}

// TestUpgradePendingGetAtUpgrade: a GET pending when the upgrade packet
// comes ends with a noop.
func TestUpgradePendingGetAtUpgrade(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	c := ts.dial(t, "EIO=4&transport=websocket&sid="+sid, nil)
	waitFor(t, "the probe is accepted", p.s.Probing)
	pending := ts.pollAsync(t, sid)
	waitFor(t, "the GET is pending", p.s.PollPending)
	write(t, c, websocket.MessageText, "5") // the reference server accepts it without a probe
	if res := await(t, pending); res.body != "6" {
		t.Errorf("pending GET: %q", res.body)
	}
	waitFor(t, "the upgrade", func() bool { return p.s.Transport() == "websocket" })
}

// TestUpgradeAbandoned: a probe that times out, fails or sends anything
// but the probe and the upgrade packet is closed; the session stays on
// polling.
func TestUpgradeAbandoned(t *testing.T) {
	ts := newServer(t, &engineio.Options{UpgradeTimeout: 300 * time.Millisecond}, true)
	for _, tc := range []struct {
		name string
		act  func(c *websocket.Conn)
	}{
		{"timeout", func(c *websocket.Conn) {}},
		{"message", func(c *websocket.Conn) { write(t, c, websocket.MessageText, "4early") }},
		{"bad packet", func(c *websocket.Conn) { write(t, c, websocket.MessageText, "x") }},
		{"closed", func(c *websocket.Conn) { c.CloseNow() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sid, p := ts.open(t)
			c := ts.dial(t, "EIO=4&transport=websocket&sid="+sid, nil)
			write(t, c, websocket.MessageText, "2probe")
			readText(t, c)
			tc.act(c)
			readClose(t, c)
			waitFor(t, "the probe is dropped", func() bool { return !p.s.Probing() })
			if res := ts.push(t, sid, "4still polling"); res.status != 200 {
				t.Fatalf("POST: %d %s", res.status, res.body)
			}
			if res := ts.poll(t, sid); res.body != "4still polling" {
				t.Errorf("GET: %q", res.body)
			}
			// A new upgrade may follow.
			c2 := ts.dial(t, "EIO=4&transport=websocket&sid="+sid, nil)
			write(t, c2, websocket.MessageText, "2probe")
			readText(t, c2)
			write(t, c2, websocket.MessageText, "5")
			waitFor(t, "the upgrade", func() bool { return p.s.Transport() == "websocket" })
			c2.Close(websocket.StatusNormalClosure, "")
			p.wantClose(t, "transport close")
		})
	}
}

func TestUpgradeRefused(t *testing.T) {
	t.Run("disabled", func(t *testing.T) {
		ts := newServer(t, &engineio.Options{DisableUpgrades: true}, false)
		sid, _ := ts.open(t)
		if status := ts.dialError(t, "EIO=4&transport=websocket&sid="+sid, nil); status != 400 {
			t.Errorf("upgrade: %d, want 400", status)
		}
	})
	t.Run("probe under way", func(t *testing.T) {
		ts := newServer(t, nil, false)
		sid, p := ts.open(t)
		ts.dial(t, "EIO=4&transport=websocket&sid="+sid, nil)
		waitFor(t, "the probe is accepted", p.s.Probing)
		if status := ts.dialError(t, "EIO=4&transport=websocket&sid="+sid, nil); status != 400 {
			t.Errorf("second probe: %d, want 400", status)
		}
	})
	t.Run("websocket session", func(t *testing.T) {
		ts := newServer(t, nil, false)
		_, hs, _ := ts.openWS(t, nil)
		if status := ts.dialError(t, "EIO=4&transport=websocket&sid="+hs.SID, nil); status != 400 {
			t.Errorf("second WebSocket: %d, want 400", status)
		}
		wantError(t, ts.do(t, "GET", "EIO=4&transport=polling&sid="+hs.SID, ""), 400, 3, "Bad request")
	})
}

// TestUpgradeWhileClosing: a session closed during the upgrade completes
// it, then sends its queue and closes on the WebSocket.
func TestUpgradeWhileClosing(t *testing.T) {
	ts := newServer(t, nil, false)
	sid, p := ts.open(t)
	c := ts.dial(t, "EIO=4&transport=websocket&sid="+sid, nil)
	write(t, c, websocket.MessageText, "2probe")
	readText(t, c)
	p.s.Send([]byte("last"), false)
	p.s.Close()
	write(t, c, websocket.MessageText, "5")
	if got := readText(t, c); got != "4last" {
		t.Errorf("got %q", got)
	}
	readClose(t, c)
	p.wantClose(t, "forced close")
}
