package socketio_test

import (
	"net/http/httptest"
	"testing"

	"github.com/duplexrt/duplex/socketio"
)

// The tests in this file follow the "Socket.IO protocol" part of the
// official test suite (socket.io-protocol/test-suite), against the server
// that suite expects: namespaces "/" and "/custom" that emit "auth" with
// the CONNECT payload, and on "/" an echo of "message" as "message-back"
// and of "message-with-ack" as its acknowledgement.

func newEchoHTTP(t *testing.T) (*socketio.Server, *httptest.Server) {
	srv, hs := newTestServer(t, &socketio.Options{Engine: engineOptions()})
	srv.OnConnection(echoHandlers)
	srv.Of("/custom").OnConnection(echoHandlers)
	return srv, hs
}

func echoHandlers(s *socketio.Socket) {
	s.Emit("auth", s.Handshake().Auth)
	if s.Namespace().Name() != "/" {
		return
	}
	s.On("message", func(ev *socketio.Event) {
		s.Emit("message-back", ev.Values()...)
	})
	s.On("message-with-ack", func(ev *socketio.Event) {
		ev.Ack(ev.Values()...)
	})
}

func TestProtocolConnect(t *testing.T) {
	_, hs := newEchoHTTP(t)

	t.Run("main namespace", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/", "")
		c.expect(`42["auth",{}]`)
	})
	t.Run("main namespace with a payload", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/", `{"token":"123"}`)
		c.expect(`42["auth",{"token":"123"}]`)
	})
	t.Run("custom namespace", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/custom", "")
		c.expect(`42/custom,["auth",{}]`)
	})
	t.Run("custom namespace with a payload", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/custom", `{"token":"abc"}`)
		c.expect(`42/custom,["auth",{"token":"abc"}]`)
	})
	t.Run("unknown namespace", func(t *testing.T) {
		c := dialWS(t, hs)
		c.send("40/random")
		c.expect(`44/random,{"message":"Invalid namespace"}`)
	})
	t.Run("invalid handshake", func(t *testing.T) {
		c := dialWS(t, hs)
		c.send("4abc")
		c.expectClosed()
	})
}

func TestProtocolDisconnect(t *testing.T) {
	_, hs := newEchoHTTP(t)

	t.Run("connect then disconnect from a custom namespace", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/", "")
		c.expect(`42["auth",{}]`)
		c.connect("/custom", "")
		c.expect(`42/custom,["auth",{}]`)
		c.send("41/custom")
		c.send(`42["message","message to main namespace"]`)
		c.expect(`42["message-back","message to main namespace"]`)
	})
}

func TestProtocolMessages(t *testing.T) {
	_, hs := newEchoHTTP(t)
	connected := func(t *testing.T) *wsClient {
		c := dialWS(t, hs)
		c.connect("/", "")
		c.expect(`42["auth",{}]`)
		return c
	}

	t.Run("plain-text packet", func(t *testing.T) {
		c := connected(t)
		c.send(`42["message",1,"2",{"3":[true]}]`)
		c.expect(`42["message-back",1,"2",{"3":[true]}]`)
	})
	t.Run("binary attachments", func(t *testing.T) {
		c := connected(t)
		c.send(`452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
		c.sendBinary([]byte{1, 2, 3})
		c.sendBinary([]byte{4, 5, 6})
		c.expect(`452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
		c.expectBinary([]byte{1, 2, 3})
		c.expectBinary([]byte{4, 5, 6})
	})
	t.Run("plain-text packet with an ack", func(t *testing.T) {
		c := connected(t)
		c.send(`42456["message-with-ack",1,"2",{"3":[false]}]`)
		c.expect(`43456[1,"2",{"3":[false]}]`)
	})
	t.Run("binary attachments and an ack", func(t *testing.T) {
		c := connected(t)
		c.send(`452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
		c.sendBinary([]byte{1, 2, 3})
		c.sendBinary([]byte{4, 5, 6})
		c.expect(`462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
		c.expectBinary([]byte{1, 2, 3})
		c.expectBinary([]byte{4, 5, 6})
	})
	for _, bad := range []string{
		"4abc", // unknown packet type
		"42{}", // invalid payload format
		`42abc["message-with-ack",1,"2",{"3":[false]}]`, // invalid ack id
		`42["disconnect"]`, // reserved event name
		`451-["message",{"_placeholder":true,"num":3}]`, // placeholder out of range
	} {
		t.Run("close on "+bad, func(t *testing.T) {
			c := connected(t)
			c.send(bad)
			c.expectClosed()
		})
	}
}
