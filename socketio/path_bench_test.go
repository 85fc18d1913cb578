package socketio

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
)

// A pollingPeer is a client of a Server on long-polling, driven through
// ServeHTTP without a network, so that a benchmark can hand messages to
// its client and take what the server queued for it.
type pollingPeer struct {
	tb  testing.TB
	srv *Server
	url string
	c   *client
}

// newPollingPeer opens a session on srv and joins the main namespace.
func newPollingPeer(tb testing.TB, srv *Server) *pollingPeer {
	tb.Helper()
	p := &pollingPeer{tb: tb, srv: srv, url: "/socket.io/?EIO=4&transport=polling"}
	open := p.get()
	var hs struct{ Sid string }
	if !strings.HasPrefix(open, "0{") || json.Unmarshal([]byte(open[1:]), &hs) != nil {
		tb.Fatalf("handshake %q", open)
	}
	p.url += "&sid=" + hs.Sid
	srv.mu.Lock()
	for c := range srv.clients {
		if c.sess.ID() == hs.Sid {
			p.c = c
		}
	}
	srv.mu.Unlock()
	if p.c == nil {
		tb.Fatalf("no client for session %s", hs.Sid)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("POST", p.url, strings.NewReader("40")))
	if got := p.get(); !strings.HasPrefix(got, `40{"sid":`) {
		tb.Fatalf("CONNECT answered with %q", got)
	}
	return p
}

// get polls once, waiting for packets if none is queued.
func (p *pollingPeer) get() string {
	rec := httptest.NewRecorder()
	p.srv.ServeHTTP(rec, httptest.NewRequest("GET", p.url, nil))
	if rec.Code != 200 {
		p.tb.Fatalf("GET: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// newBenchServer returns a server whose sessions never ping, so that only
// the messages of a benchmark are queued.
func newBenchServer(tb testing.TB) *Server {
	srv := NewServer(&Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Engine: &engineio.Options{PingInterval: time.Hour, PingTimeout: time.Hour},
	})
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

// BenchmarkAckEvent measures one acknowledged event, from the client's
// message reaching its socket to the ACK handed to the Engine.IO session:
// decoding, queueing for the dispatcher, a handler that answers with
// ev.Ack(ev.Values()...), and encoding. Every 64 events the session's
// queue is polled empty, outside the measurement.
func BenchmarkAckEvent(b *testing.B) {
	b.Run("text", func(b *testing.B) {
		benchmarkAckEvent(b, [][]byte{[]byte(`21["echo","hello, world",{"at":1700000000000}]`)}, false)
	})
	b.Run("binary", func(b *testing.B) {
		msgs := [][]byte{[]byte(`51-1["echo",{"_placeholder":true,"num":0}]`), make([]byte, 256)}
		benchmarkAckEvent(b, msgs, true)
	})
}

func benchmarkAckEvent(b *testing.B, msgs [][]byte, binary bool) {
	srv := newBenchServer(b)
	acked := make(chan error, 1)
	srv.OnConnection(func(s *Socket) {
		s.On("echo", func(ev *Event) error {
			if ev.Ack == nil {
				return nil
			}
			acked <- ev.Ack(ev.Values()...)
			return nil
		})
	})
	p := newPollingPeer(b, srv)
	want := `431["hello, world",{"at":1700000000000}]`
	if binary {
		want = `461-1[{"_placeholder":true,"num":0}]`
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j, m := range msgs {
			p.c.onMessage(m, j > 0)
		}
		if err := <-acked; err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 {
			b.StopTimer()
			if got := p.get(); !strings.HasPrefix(got, want) {
				b.Fatalf("polled %.80q, want ACKs %q", got, want)
			}
			b.StartTimer()
		}
	}
}

// BenchmarkBroadcastEvent measures one event that a handler broadcasts to
// a room, as io.To(room).Emit("broadcast-back", ev.Values()...): from the
// client's message to the packet handed to the session of each of the
// room's 10 members. Their queues are polled empty every 64 events,
// outside the measurement.
func BenchmarkBroadcastEvent(b *testing.B) {
	const members = 10
	srv := newBenchServer(b)
	sent := make(chan error, 1)
	srv.OnConnection(func(s *Socket) {
		s.Join("room")
		s.On("broadcast", func(ev *Event) error {
			sent <- srv.To("room").Emit("broadcast-back", ev.Values()...)
			return nil
		})
	})
	peers := make([]*pollingPeer, members)
	for i := range peers {
		peers[i] = newPollingPeer(b, srv)
	}
	msg := []byte(`2["broadcast",{"nick":"ann","text":"hello, world","at":1700000000000}]`)
	want := `42["broadcast-back",{"nick":"ann","text":"hello, world","at":1700000000000}]`
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		peers[0].c.onMessage(msg, false)
		if err := <-sent; err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 {
			b.StopTimer()
			for _, p := range peers {
				if got := p.get(); !strings.HasPrefix(got, want) {
					b.Fatalf("polled %.80q, want %q", got, want)
				}
			}
			b.StartTimer()
		}
	}
}
