// Command gobwas is the whole-server benchmark's testee for
// github.com/gobwas/ws (see package testee for the contract).
//
// It follows the library's README: ws.UpgradeHTTP, then a goroutine per
// connection that reads with wsutil.ReadClientData (which answers
// control frames) and answers with wsutil.WriteServerMessage. /broadcast
// compiles each message's frame once (ws.CompileFrame) and queues the
// bytes for every subscriber on a buffered channel drained by the
// subscriber's write goroutine; a subscriber whose channel is full is
// dropped with 1008.
package main

import (
	"net"
	"net/http"
	"sync"

	"github.com/duplexrt/duplex/bench/internal/testee"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

func main() {
	wsutil.SetMaxMessageSize(testee.ReadLimit)
	testee.Main("gobwas", http.HandlerFunc(echo), &broadcast{})
}

func echo(w http.ResponseWriter, r *http.Request) {
	conn, _, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	go func() {
		defer conn.Close()
		for {
			msg, op, err := wsutil.ReadClientData(conn)
			if err != nil {
				return
			}
			if err := wsutil.WriteServerMessage(conn, op, msg); err != nil {
				return
			}
		}
	}()
}

// lockedConn serializes the writes of the subscriber's write goroutine
// and the control frames that ReadClientData answers.
type lockedConn struct {
	net.Conn
	mu sync.Mutex
}

func (c *lockedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.Write(p)
}

type subscriber struct {
	conn *lockedConn
	send chan []byte
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
	nc, _, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	s := &subscriber{conn: &lockedConn{Conn: nc}, send: make(chan []byte, testee.QueueLength), quit: make(chan struct{})}
	b.hub.Add(s)
	go s.writeLoop()
	go func() {
		defer func() {
			b.hub.Remove(s)
			s.stop(false)
		}()
		for {
			msg, op, err := wsutil.ReadClientData(s.conn)
			if err != nil {
				return
			}
			frame, err := ws.CompileFrame(ws.NewFrame(op, true, msg))
			if err != nil {
				return
			}
			for _, o := range b.hub.Subscribers() {
				select {
				case o.send <- frame:
				default:
					b.hub.Remove(o)
					o.stop(true)
				}
			}
		}
	}()
}

func (s *subscriber) writeLoop() {
	defer s.conn.Close()
	for {
		select {
		case frame := <-s.send:
			if _, err := s.conn.Write(frame); err != nil {
				return
			}
		case <-s.quit:
			if s.slow {
				ws.WriteFrame(s.conn, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusPolicyViolation, "too slow")))
			}
			return
		}
	}
}
