// Command duplex is the whole-server benchmark's testee for Duplex's
// websocket package (see package testee for the contract).
//
// /echo reads with Read and answers with Write, so that a burst of
// received messages is answered with one write. /broadcast prepares
// every message once (NewPreparedMessage) and hands it to every
// subscriber with Enqueue, which never waits: a subscriber whose queue
// is full is closed with 1008 (policy violation).
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
	go func() {
		defer c.CloseNow()
		ctx := context.Background()
		for {
			typ, p, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, p); err != nil {
				return
			}
		}
	}()
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
	go func() {
		defer func() {
			b.hub.Remove(c)
			c.CloseNow()
		}()
		ctx := context.Background()
		for {
			typ, p, err := c.Read(ctx)
			if err != nil {
				return
			}
			// Read reuses p; a prepared message keeps its data.
			pm, err := websocket.NewPreparedMessage(typ, append([]byte(nil), p...))
			if err != nil {
				return
			}
			for _, s := range b.hub.Subscribers() {
				if err := s.Enqueue(pm); errors.Is(err, websocket.ErrQueueFull) {
					b.hub.Remove(s)
					go s.Close(websocket.StatusPolicyViolation, "too slow")
				}
			}
		}
	}()
}
