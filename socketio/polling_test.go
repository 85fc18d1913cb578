package socketio_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// The echo server's exchanges over HTTP long-polling, where binary
// attachments travel as "b" and base64 in the payloads.
func TestPolling(t *testing.T) {
	_, hs := newEchoHTTP(t)
	c := dialPolling(t, hs)
	c.post("40")
	got := c.packets(2)
	if !strings.HasPrefix(got[0], `40{"sid":"`) || got[1] != `42["auth",{}]` {
		t.Fatalf("connection: %q", got)
	}

	c.post(`42["message","over polling"]` + "\x1e" + `421["message-with-ack","x"]`)
	got = c.packets(2)
	if got[0] != `42["message-back","over polling"]` || got[1] != `431["x"]` {
		t.Errorf("events: %q", got)
	}

	b64 := "b" + base64.StdEncoding.EncodeToString([]byte{1, 2, 3})
	c.post(`452-["message",{"_placeholder":true,"num":0},"s",{"_placeholder":true,"num":1}]` + "\x1e" + b64 + "\x1e" + b64)
	got = c.packets(3)
	want := []string{`452-["message-back",{"_placeholder":true,"num":0},"s",{"_placeholder":true,"num":1}]`, b64, b64}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("binary: %q, want %q", got, want)
	}
}

// A client that connects over polling and upgrades to WebSocket keeps its
// socket: the upgrade is the engine's business.
func TestUpgradeKeepsTheSocket(t *testing.T) {
	srv, hs := newEchoHTTP(t)
	c := dialPolling(t, hs)
	c.post("40")
	c.packets(2)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket&sid=" + c.sid
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	ws := &wsClient{t: t, conn: conn}
	ws.send("2probe")
	ws.expect("3probe")
	ws.send("5")
	ws.send(`42["message","after the upgrade"]`)
	ws.expect(`42["message-back","after the upgrade"]`)
	socks := srv.Of("/").Sockets()
	if len(socks) != 1 || socks[0].Conn().Transport() != "websocket" {
		t.Fatalf("sockets after the upgrade: %v", socks)
	}
	if err := socks[0].Emit("server", []byte{7}); err != nil {
		t.Fatal(err)
	}
	ws.expect(`451-["server",{"_placeholder":true,"num":0}]`)
	ws.expectBinary([]byte{7})
}
