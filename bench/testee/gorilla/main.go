// Command gorilla is the whole-server benchmark's testee for
// github.com/gorilla/websocket (see package testee for the contract).
//
// It follows the library's examples: an Upgrader with its default
// buffers and no compression; /echo reads with ReadMessage and answers
// with WriteMessage; /broadcast prepares each message once
// (NewPreparedMessage) and queues it for every subscriber on a buffered
// channel that the subscriber's write goroutine drains with
// WritePreparedMessage, as the chat example does; a subscriber whose
// channel is full is dropped with 1008.
package main

import (
	"net/http"
	"sync"
	"time"

	"github.com/duplexrt/duplex/bench/internal/testee"
	"github.com/gorilla/websocket"
)

func main() {
	testee.Main("gorilla", http.HandlerFunc(echo), &broadcast{})
}

var upgrader = websocket.Upgrader{
	// The load generator sends no Origin header; the default check
	// allows that.
	EnableCompression: false,
}

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c.SetReadLimit(testee.ReadLimit)
	go func() {
		defer c.Close()
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, p); err != nil {
				return
			}
		}
	}()
}

type subscriber struct {
	c    *websocket.Conn
	send chan *websocket.PreparedMessage
	quit chan struct{} // closed by stop
	slow bool          // written before quit is closed
	once sync.Once
}

// stop ends the subscriber's write goroutine, which then closes the
// connection, with 1008 first if slow.
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
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c.SetReadLimit(testee.ReadLimit)
	s := &subscriber{c: c, send: make(chan *websocket.PreparedMessage, testee.QueueLength), quit: make(chan struct{})}
	b.hub.Add(s)
	go s.writePump()
	go func() {
		defer func() {
			b.hub.Remove(s)
			s.stop(false)
		}()
		for {
			typ, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			pm, err := websocket.NewPreparedMessage(typ, p)
			if err != nil {
				return
			}
			for _, o := range b.hub.Subscribers() {
				select {
				case o.send <- pm:
				default:
					b.hub.Remove(o)
					o.stop(true)
				}
			}
		}
	}()
}

func (s *subscriber) writePump() {
	defer s.c.Close()
	for {
		select {
		case pm := <-s.send:
			if err := s.c.WritePreparedMessage(pm); err != nil {
				return
			}
		case <-s.quit:
			if s.slow {
				s.c.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "too slow"), time.Now().Add(time.Second))
			}
			return
		}
	}
}
