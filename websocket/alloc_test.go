package websocket_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/duplexrt/duplex/websocket"
)

// TestSteadyStateAllocations checks that a round trip (client write,
// server read and write, client read) allocates nothing once warm, with
// a plain context and with a cancellable one held across messages.
func TestSteadyStateAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items; run without -race")
	}
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"cancellable", cancellable}} {
		for _, n := range []int{16, 1 << 10, 64 << 10} {
			c := benchPair(t)
			msg := make([]byte, n)
			for i := range msg {
				msg[i] = 'x'
			}
			roundTrip := func() {
				if err := c.Write(tc.ctx, websocket.MessageText, msg); err != nil {
					t.Fatal(err)
				}
				if _, _, err := c.Read(tc.ctx); err != nil {
					t.Fatal(err)
				}
			}
			for range 50 {
				roundTrip()
			}
			if allocs := testing.AllocsPerRun(200, roundTrip); allocs > 0 {
				t.Errorf("%s, %d bytes: %.2f allocations per round trip, want 0", tc.name, n, allocs)
			}
		}
	}
}

// TestWriteMessagesAllocations checks that a batch written with
// WriteMessages and read back allocates nothing once warm.
func TestWriteMessagesAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items; run without -race")
	}
	c := benchPair(t)
	ctx := context.Background()
	batch := []websocket.Message{
		{Type: websocket.MessageText, Data: []byte("42[\"event\",1]")},
		{Type: websocket.MessageBinary, Data: make([]byte, 100)},
		{Type: websocket.MessageText, Data: bytes.Repeat([]byte("x"), 8<<10)},
	}
	roundTrip := func() {
		if err := c.WriteMessages(ctx, batch); err != nil {
			t.Fatal(err)
		}
		for range batch {
			if _, _, err := c.Read(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 50 {
		roundTrip()
	}
	if allocs := testing.AllocsPerRun(200, roundTrip); allocs > 0 {
		t.Errorf("%.2f allocations per batch, want 0", allocs)
	}
}
