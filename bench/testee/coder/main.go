// Command coder is the whole-server benchmark's testee for
// github.com/coder/websocket (see package testee for the contract).
//
// Accept with compression disabled; /echo reads with Read and answers
// with Write; /broadcast queues every message for every subscriber on a
// buffered channel that the subscriber's write goroutine drains with
// Write, as the library's chat example does, and a subscriber whose
// channel is full is closed with 1008 (policy violation).
package main

import (
	"context"
	"net/http"
	"sync"

	"github.com/coder/websocket"
	"github.com/duplexrt/duplex/bench/internal/testee"
)

func main() {
	testee.Main("coder", http.HandlerFunc(echo), &broadcast{})
}

var acceptOptions = &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled}

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, acceptOptions)
	if err != nil {
		return
	}
	c.SetReadLimit(testee.ReadLimit)
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

type message struct {
	typ websocket.MessageType
	p   []byte
}

type subscriber struct {
	c    *websocket.Conn
	send chan message
	quit chan struct{}
	slow bool
	once sync.Once
}

func (s *subscriber) stop(slow bool) {
	s.once.Do(func() {
		s.slow = slow
		close(s.quit)
	})
}

type broadcast struct {
	hub testee.Hub[*subscriber]
}

func (b *broadcast) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, acceptOptions)
	if err != nil {
		return
	}
	c.SetReadLimit(testee.ReadLimit)
	s := &subscriber{c: c, send: make(chan message, testee.QueueLength), quit: make(chan struct{})}
	b.hub.Add(s)
	go s.writeLoop()
	go func() {
		defer func() {
			b.hub.Remove(s)
			s.stop(false)
		}()
		ctx := context.Background()
		for {
			typ, p, err := c.Read(ctx)
			if err != nil {
				return
			}
			m := message{typ, p}
			for _, o := range b.hub.Subscribers() {
				select {
				case o.send <- m:
				default:
					b.hub.Remove(o)
					o.stop(true)
				}
			}
		}
	}()
}

func (s *subscriber) writeLoop() {
	defer s.c.CloseNow()
	ctx := context.Background()
	for {
		select {
		case m := <-s.send:
			if err := s.c.Write(ctx, m.typ, m.p); err != nil {
				return
			}
		case <-s.quit:
			if s.slow {
				s.c.Close(websocket.StatusPolicyViolation, "too slow")
			}
			return
		}
	}
}
