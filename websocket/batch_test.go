package websocket

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// TestWriteMessages checks that a batch of small messages leaves in one
// write, in order and with their types, that a large one in the middle
// keeps its place, and that an invalid type is refused before anything
// is sent.
func TestWriteMessages(t *testing.T) {
	c, counted, peer := countedConn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	if err := c.WriteMessages(ctx, []Message{{Type: MessageText, Data: []byte("a")}, {Type: 9}}); err == nil {
		t.Fatal("WriteMessages accepted message type 9")
	}
	if n := counted.writes.Load(); n != 0 {
		t.Fatalf("%d writes for a refused batch", n)
	}

	small := []Message{
		{Type: MessageText, Data: []byte("one")},
		{Type: MessageBinary, Data: []byte{2, 2}},
		{Type: MessageText, Data: nil},
	}
	if err := c.WriteMessages(ctx, small); err != nil {
		t.Fatal(err)
	}
	if n := counted.writes.Load(); n != 1 {
		t.Errorf("%d writes for a batch of three small messages, want 1", n)
	}
	large := bytes.Repeat([]byte{7}, 3*coalesceMaxFrame)
	mixed := []Message{small[0], {Type: MessageBinary, Data: large}, small[1]}
	if err := c.WriteMessages(ctx, mixed); err != nil {
		t.Fatal(err)
	}

	var want []byte
	for _, m := range append(small, mixed...) {
		b0 := byte(0x81)
		if m.Type == MessageBinary {
			b0 = 0x82
		}
		want = append(want, fuzzFrame(b0, m.Data, false)...)
	}
	got := make([]byte, len(want))
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the frames on the wire differ from the batch")
	}
	if c.BufferedAmount() != 0 {
		t.Errorf("BufferedAmount %d after the batches", c.BufferedAmount())
	}
}
