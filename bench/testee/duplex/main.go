// Command duplex is the whole-server benchmark's testee for Duplex's
// websocket package (see package testee for the contract).
//
// Both endpoints use Serve, so that a connection with nothing to read
// holds no goroutine and no buffer: on Linux a poller starts reading a
// connection only when data arrives. /echo answers every message with
// Write from the Serve callback; answers to a burst of received messages
// leave in one write. /broadcast prepares every message once
// (NewPreparedMessage) and hands it to every subscriber with Enqueue,
// which never waits: a subscriber whose queue is full is closed with 1008
// (policy violation).
package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/duplexrt/duplex/bench/internal/testee"
	"github.com/duplexrt/duplex/websocket"
)

func main() {
	testee.Main("duplex", http.HandlerFunc(echo), newBroadcast())
}

var acceptOptions = &websocket.AcceptOptions{ReadLimit: testee.ReadLimit}

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, acceptOptions)
	if err != nil {
		return
	}
	c.Serve(echoMessage, nil)
}

func echoMessage(c *websocket.Conn, typ websocket.MessageType, p []byte) {
	if err := c.Write(context.Background(), typ, p); err != nil {
		c.CloseNow()
	}
}

type broadcast struct {
	hub testee.Hub[*websocket.Conn]
}

func newBroadcast() *broadcast { return &broadcast{} }

func (b *broadcast) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, acceptOptions)
	if err != nil {
		return
	}
	b.hub.Add(c)
	c.Serve(b.relay, b.leave)
}

// relay hands a message of one subscriber to all.
func (b *broadcast) relay(c *websocket.Conn, typ websocket.MessageType, p []byte) {
	// p is valid only during the call; a prepared message keeps its data.
	pm, err := websocket.NewPreparedMessage(typ, append([]byte(nil), p...))
	if err != nil {
		c.CloseNow()
		return
	}
	for _, s := range b.hub.Subscribers() {
		if err := s.Enqueue(pm); errors.Is(err, websocket.ErrQueueFull) {
			b.hub.Remove(s)
			go s.Close(websocket.StatusPolicyViolation, "too slow")
		}
	}
}

func (b *broadcast) leave(c *websocket.Conn, _ error) { b.hub.Remove(c) }
