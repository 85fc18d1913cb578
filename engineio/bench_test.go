package engineio

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// benchPayload is a polling payload of ten 100-byte text messages and a
// 1 KiB binary one.
func benchPayload() []outPacket {
	var pkts []outPacket
	for range 10 {
		pkts = append(pkts, textMessage([]byte(strings.Repeat("x", 100))))
	}
	return append(pkts, binaryMessage(make([]byte, 1024)))
}

func BenchmarkAppendPayload(b *testing.B) {
	pkts := benchPayload()
	buf := make([]byte, 0, payloadLen(pkts))
	b.SetBytes(int64(payloadLen(pkts)))
	b.ReportAllocs()
	for b.Loop() {
		buf = appendPayload(buf[:0], pkts)
	}
}

func BenchmarkDecodePayload(b *testing.B) {
	body := appendPayload(nil, benchPayload())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		decodePayload(body, func(packet) bool { n++; return true })
	}
}

// BenchmarkSendWebSocket measures Send to one WebSocket session, the
// client reading every message.
func BenchmarkSendWebSocket(b *testing.B) {
	sessions := make(chan *Session, 1)
	srv := NewServer(&Options{OnSession: func(s *Session) { sessions <- s }, SendQueueMessages: 1 << 16, SendQueueBytes: 64 << 20})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Shutdown(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/?EIO=4&transport=websocket", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	c.Read(ctx) // the open packet
	s := <-sessions
	msg := []byte(strings.Repeat("m", 100))
	done := make(chan error, 1)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for range b.N {
			if _, _, err := c.Read(ctx); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range b.N {
		for s.Send(msg, false) == ErrQueueFull {
			time.Sleep(10 * time.Microsecond)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
