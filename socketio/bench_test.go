package socketio_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrt/duplex/socketio"
	"github.com/duplexrt/duplex/websocket"
)

type chatMessage struct {
	Nick string `json:"nick"`
	Text string `json:"text"`
	At   int64  `json:"at"`
}

func BenchmarkEncodeEvent(b *testing.B) {
	msg := chatMessage{Nick: "ann", Text: "hello, world", At: 1700000000000}
	b.ReportAllocs()
	for b.Loop() {
		p := socketio.Packet{Type: socketio.PacketEvent}
		if err := p.SetData([]any{"chat message", msg}); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBinaryEvent(b *testing.B) {
	blob := make([]byte, 1024)
	b.ReportAllocs()
	for b.Loop() {
		p := socketio.Packet{Type: socketio.PacketEvent}
		if err := p.SetData([]any{"upload", map[string]any{"name": "a.bin", "data": blob}}); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	text := []byte(`2["chat message",{"nick":"ann","text":"hello, world","at":1700000000000}]`)
	b.ReportAllocs()
	for b.Loop() {
		var d socketio.Decoder
		p, err := d.Decode(text, false)
		if err != nil {
			b.Fatal(err)
		}
		var args []json.RawMessage
		if err := p.DecodeData(&args); err != nil {
			b.Fatal(err)
		}
		var m chatMessage
		if err := json.Unmarshal(args[1], &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBroadcast sends an event to a room of 100 WebSocket clients;
// the packet is encoded once per broadcast.
func BenchmarkBroadcast(b *testing.B) {
	const clients = 100
	srv := socketio.NewServer(&socketio.Options{Logger: quietLogger})
	srv.OnConnection(func(s *socketio.Socket) { s.Join("room") })
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()

	var wg sync.WaitGroup
	received := make(chan struct{}, clients*64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + "/?EIO=4&transport=websocket"
	for range clients {
		conn, _, err := websocket.Dial(ctx, u, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.CloseNow()
		conn.Read(ctx) // open
		conn.Write(ctx, websocket.MessageText, []byte("40"))
		conn.Read(ctx) // CONNECT
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, p, err := conn.Read(ctx)
				if err != nil {
					return
				}
				if len(p) > 1 && p[1] == '2' {
					received <- struct{}{}
				}
			}
		}()
	}
	for srv.Of("/").Len() < clients {
		time.Sleep(time.Millisecond)
	}
	room := srv.Of("/").To("room")
	msg := chatMessage{Nick: "ann", Text: "hello, world", At: 1700000000000}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := room.Emit("chat message", msg); err != nil {
			b.Fatal(err)
		}
		for range clients {
			<-received
		}
	}
	b.StopTimer()
	cancel()
	wg.Wait()
}
