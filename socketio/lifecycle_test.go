package socketio_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/socketio"
	"github.com/duplexrt/duplex/websocket"
)

// reasonServer records the disconnect reason of every socket of "/".
func reasonServer(t *testing.T, opts *socketio.Options) (*socketio.Server, *httptest.Server, recorder) {
	if opts == nil {
		opts = &socketio.Options{Engine: engineOptions()}
	}
	srv, hs := newTestServer(t, opts)
	reasons := newRecorder()
	srv.OnConnection(func(s *socketio.Socket) {
		s.OnDisconnect(func(r string) { reasons.add("%s", r) })
	})
	return srv, hs, reasons
}

func TestDisconnectReasons(t *testing.T) {
	srv, hs, reasons := reasonServer(t, nil)

	t.Run("client namespace disconnect", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/", "")
		c.send("41")
		reasons.wait(t, socketio.ReasonClientNamespaceDisconnect)
	})
	t.Run("transport close", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/", "")
		c.conn.Close(1000, "")
		reasons.wait(t, socketio.ReasonTransportClose)
	})
	t.Run("engine close packet", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/", "")
		c.send("1")
		reasons.wait(t, socketio.ReasonTransportClose)
	})
	t.Run("ping timeout", func(t *testing.T) {
		c := dialWS(t, hs)
		c.noPong = true
		c.connect("/", "")
		reasons.wait(t, socketio.ReasonPingTimeout)
	})
	t.Run("parse error", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/", "")
		c.send(`42abc["x"]`)
		reasons.wait(t, socketio.ReasonParseError)
		c.expectClosed()
	})
	t.Run("engine parse error", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/", "")
		c.send("9")
		reasons.wait(t, socketio.ReasonParseError)
	})
	t.Run("server namespace disconnect", func(t *testing.T) {
		sock := make(chan *socketio.Socket, 1)
		nsp := srv.Of("/sn")
		nsp.OnConnection(func(s *socketio.Socket) {
			s.OnDisconnect(func(r string) { reasons.add("%s", r) })
			sock <- s
		})
		c := dialWS(t, hs)
		c.connect("/sn", "")
		(<-sock).Disconnect(false)
		c.expect("41/sn,")
		reasons.wait(t, socketio.ReasonServerNamespaceDisconnect)
		// Late packets for that namespace are ignored, not fatal.
		c.send(`42/sn,["late"]`)
		c.connect("/sn", "")
		<-sock
		c.send("41/sn,")
		reasons.wait(t, socketio.ReasonClientNamespaceDisconnect)
	})
	t.Run("transport error", func(t *testing.T) {
		c := dialWS(t, hs)
		c.connect("/", "")
		// Larger than the engine's maxPayload.
		c.conn.Write(context.Background(), websocket.MessageText, []byte("42"+`["big","`+strings.Repeat("x", 1_100_000)+`"]`))
		reasons.wait(t, socketio.ReasonTransportError)
	})
	t.Run("handler panic", func(t *testing.T) {
		nsp := srv.Of("/panics")
		nsp.OnConnection(func(s *socketio.Socket) {
			s.OnDisconnect(func(r string) { reasons.add("%s", r) })
			s.On("boom", func() { panic("boom") })
		})
		c := dialWS(t, hs)
		c.connect("/panics", "")
		c.send(`42/panics,["boom"]`)
		reasons.wait(t, socketio.ReasonForcedServerClose)
		c.expectClosed()
	})
}

func TestDisconnectingSeesRooms(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	rec := newRecorder()
	srv.OnConnection(func(s *socketio.Socket) {
		s.Join("chat")
		s.OnDisconnecting(func(r string) { rec.add("disconnecting %v %v", slices.Contains(s.Rooms(), "chat"), s.Connected()) })
		s.OnDisconnect(func(r string) { rec.add("disconnect %d", len(s.Rooms())) })
	})
	c := dialWS(t, hs)
	c.connect("/", "")
	c.send("41")
	rec.wait(t, "disconnecting true false")
	rec.wait(t, "disconnect 0")
}

func TestConnectTimeout(t *testing.T) {
	srv, hs := newTestServer(t, &socketio.Options{ConnectTimeout: 100 * time.Millisecond})
	idle := dialWS(t, hs)
	joined := dialWS(t, hs)
	joined.connect("/", "")
	idle.expectClosed()
	joined.expectNothing(200 * time.Millisecond)
	if srv.Engine().Len() != 1 {
		t.Errorf("%d sessions, want 1", srv.Engine().Len())
	}
}

func TestShutdown(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	rec := newRecorder()
	handlersDone := make(chan struct{})
	srv.Of("/b").OnConnection(func(s *socketio.Socket) {
		s.OnDisconnect(func(r string) {
			time.Sleep(50 * time.Millisecond) // Shutdown waits for this
			rec.add("/b %s", r)
			close(handlersDone)
		})
	})
	srv.OnConnection(func(s *socketio.Socket) {
		s.OnDisconnect(func(r string) { rec.add("/ %s", r) })
	})
	c := dialWS(t, hs)
	c.connect("/", "")
	c.connect("/b", "")
	p := dialPolling(t, hs)
	p.post("40")
	p.packets(1)
	// A pending GET, which Shutdown answers with the close packet.
	polled := make(chan string, 1)
	go func() {
		resp, err := http.Get(p.url)
		if err != nil {
			polled <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		polled <- string(b)
	}()
	time.Sleep(50 * time.Millisecond)
	// The WebSocket client reads, and so answers the close handshake.
	wsClosed := make(chan error, 1)
	go func() {
		for {
			if _, err := c.next(5 * time.Second); err != nil {
				wsClosed <- err
				return
			}
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-handlersDone:
	default:
		t.Error("Shutdown returned before the disconnect handlers")
	}
	got := []string{<-rec, <-rec, <-rec}
	slices.Sort(got)
	want := []string{"/ server shutting down", "/ server shutting down", "/b server shutting down"}
	if !slices.Equal(got, want) {
		t.Errorf("reasons %q, want %q", got, want)
	}
	if err := <-wsClosed; errors.Is(err, context.DeadlineExceeded) {
		t.Error("WebSocket still open")
	}
	if body := <-polled; !strings.HasSuffix(body, "1") {
		t.Errorf("pending poll answered with %q, want the close packet", body)
	}
}

// An idle connected client costs no goroutine of this package: the
// dispatcher runs only while there is work.
func TestIdleClientsHoldNoDispatcher(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("ping", func(ack socketio.AckFunc) { ack("pong") })
	})
	var cs []*wsClient
	for range 20 {
		c := dialWS(t, hs)
		c.connect("/", "")
		c.send(`421["ping"]`)
		c.expect(`431["pong"]`)
		cs = append(cs, c)
	}
	waitFor(t, func() bool {
		for _, g := range leakedGoroutines() {
			if strings.Contains(g, "duplex/socketio.") {
				return false
			}
		}
		return true
	})
}

// Clients that leave, or whose sessions time out, leave nothing behind
// (newTestServer checks for goroutines at the end).
func TestNoLeaksAfterClientsLeave(t *testing.T) {
	srv, hs := newTestServer(t, &socketio.Options{Engine: engineOptions()})
	gone := newRecorder()
	srv.OnConnection(func(s *socketio.Socket) {
		s.Join("room")
		s.On("wait", func(ack socketio.AckFunc) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s.EmitWithAck(ctx, "never answered") // ends with the disconnection
			ack()
		})
		s.OnDisconnect(func(r string) { gone.add("%s", r) })
	})
	for i := range 10 {
		c := dialWS(t, hs)
		c.connect("/", "")
		c.send(`42["wait"]`)
		c.read()
		switch i % 3 {
		case 0:
			c.conn.CloseNow()
		case 1:
			c.noPong = true
			go func() { c.next(2 * time.Second) }()
		case 2:
			c.send("41")
		}
	}
	for range 10 {
		select {
		case <-gone:
		case <-time.After(5 * time.Second):
			t.Fatal("a client did not disconnect")
		}
	}
	waitFor(t, func() bool { return srv.Of("/").Len() == 0 })
	ids, _ := srv.Of("/").Adapter().Sockets(context.Background(), nil)
	if len(ids) != 0 {
		t.Errorf("sockets left in the adapter: %v", ids)
	}
}

// A client whose handlers fall too far behind is disconnected, even when
// a handler waits, without a deadline, for an acknowledgement that only
// the stopped reading could deliver.
func TestPendingEventsBound(t *testing.T) {
	srv, hs := newTestServer(t, &socketio.Options{Engine: engineOptions(), MaxPendingEvents: 4})
	rec := newRecorder()
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("block", func() {
			_, err := s.EmitWithAck(context.Background(), "answer me")
			rec.add("handler returned: %v", err)
		})
		s.OnDisconnect(func(r string) { rec.add("%s", r) })
	})
	c := dialWS(t, hs)
	c.connect("/", "")
	c.send(`42["block"]`)
	c.expect(`420["answer me"]`)
	for range 10 {
		c.send(`42["queued"]`)
	}
	c.send(`430[]`) // behind the queued events: never read in time
	rec.wait(t, "handler returned: "+socketio.ErrDisconnected.Error())
	rec.wait(t, socketio.ReasonForcedServerClose)
	c.expectClosed()
}
