// Command testee is the Duplex testee of the ablation runs (see
// ../run): the whole-server benchmark's contract (package testee), built
// against the websocket package as it was before and after each change,
// so it uses only what every one of those versions has. Build tags add
// what later versions brought: "serve" reads with Serve instead of a
// goroutine per connection, "enqueue" broadcasts with Enqueue instead of
// WritePrepared to each subscriber in turn.
package main

import (
	"context"
	"net/http"

	"github.com/duplexrt/duplex/bench/internal/testee"
	"github.com/duplexrt/duplex/websocket"
)

func main() {
	testee.Main("duplex", http.HandlerFunc(echo), &broadcast{})
}

var acceptOptions = &websocket.AcceptOptions{ReadLimit: testee.ReadLimit}

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, acceptOptions)
	if err != nil {
		return
	}
	serve(c, func(typ websocket.MessageType, p []byte) bool {
		return c.Write(context.Background(), typ, p) == nil
	}, nil)
}

type broadcast struct {
	hub testee.Hub[*websocket.Conn]
}

func (b *broadcast) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, acceptOptions)
	if err != nil {
		return
	}
	b.hub.Add(c)
	serve(c, func(typ websocket.MessageType, p []byte) bool {
		pm, err := websocket.NewPreparedMessage(typ, append([]byte(nil), p...))
		if err != nil {
			return false
		}
		for _, s := range b.hub.Subscribers() {
			if !send(s, pm) {
				b.hub.Remove(s)
			}
		}
		return true
	}, func() { b.hub.Remove(c) })
}
