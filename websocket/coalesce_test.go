package websocket

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// writeCounter counts the Write calls on a connection.
type writeCounter struct {
	net.Conn
	writes atomic.Int32
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes.Add(1)
	return w.Conn.Write(p)
}

// countedConn returns a server Conn whose writes are counted, and its
// peer's end of the socket; both are closed when the test ends.
func countedConn(t *testing.T) (*Conn, *writeCounter, net.Conn) {
	local, peer := socketPair(t)
	t.Cleanup(func() { peer.Close() })
	counted := &writeCounter{Conn: local}
	c := newConn(counted, connConfig{})
	t.Cleanup(func() { c.CloseNow() })
	return c, counted, peer
}

// TestCoalescedEcho checks that answers to a burst of messages leave in
// one write, and that a lone answer leaves at once.
func TestCoalescedEcho(t *testing.T) {
	c, counted, peer := countedConn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	var burst []byte
	for i := range 16 {
		burst = append(burst, fuzzFrame(0x82, bytes.Repeat([]byte{byte(i)}, 64), true)...)
	}
	if _, err := peer.Write(burst); err != nil {
		t.Fatal(err)
	}
	for range 16 {
		typ, p, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Write(ctx, typ, p); err != nil {
			t.Fatal(err)
		}
	}
	// The reader has taken every message; the next Read would wait, and
	// flushes first.
	go c.Read(ctx)
	want := fuzzFrame(0x82, nil, false)[:0]
	for i := range 16 {
		want = append(want, fuzzFrame(0x82, bytes.Repeat([]byte{byte(i)}, 64), false)...)
	}
	got := make([]byte, len(want))
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("echoed frames differ")
	}
	// The last answer, written when no message is left to read, joins
	// the fifteen queued before it.
	if n := counted.writes.Load(); n != 1 {
		t.Fatalf("%d writes for a burst of 16 answers, want 1", n)
	}

	// A lone message is written by Write itself.
	before := counted.writes.Load()
	if err := c.Write(ctx, MessageText, []byte("lone")); err != nil {
		t.Fatal(err)
	}
	if n := counted.writes.Load() - before; n != 1 {
		t.Fatalf("lone message: %d writes during Write, want 1", n)
	}
}

// TestCoalescedLargeEcho checks that a burst queues frames of up to
// coalesceMaxLarge in the larger queue, flushing it when full, and
// writes larger frames at once.
func TestCoalescedLargeEcho(t *testing.T) {
	c, counted, peer := countedConn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	const n, size = 8, 16 << 10
	var want []byte
	for i := range n {
		want = append(want, fuzzFrame(0x82, bytes.Repeat([]byte{byte(i)}, size), false)...)
	}
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, len(want))
		peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.ReadFull(peer, b)
		got <- b
	}()
	// Answers written while the reader holds more received messages (a
	// burst), then the reader would wait.
	for i := range n {
		c.burst.Store(true)
		if err := c.Write(ctx, MessageBinary, bytes.Repeat([]byte{byte(i)}, size)); err != nil {
			t.Fatal(err)
		}
	}
	c.beforeWait()
	if !bytes.Equal(<-got, want) {
		t.Fatal("written frames differ")
	}
	// Seven frames of 16 KiB fill the 128 KiB queue; the eighth flushes
	// it and joins the next.
	perQueue := coalesceLargeBufferSize / (size + 4)
	if w, max := counted.writes.Load(), int32((n+perQueue-1)/perQueue); w > max {
		t.Fatalf("%d writes for a burst of %d answers of %d bytes, want at most %d", w, n, size, max)
	}

	// Larger frames are written by Write itself, even in a burst.
	c.burst.Store(true)
	before := counted.writes.Load()
	if err := c.Write(ctx, MessageBinary, make([]byte, coalesceMaxLarge+1)); err != nil {
		t.Fatal(err)
	}
	if counted.writes.Load() == before {
		t.Fatal("a frame larger than coalesceMaxLarge was queued")
	}
}

// TestCoalescedFlushDeadline checks that a frame queued while the reader
// lingers leaves within the coalescing delay.
func TestCoalescedFlushDeadline(t *testing.T) {
	local, peer := socketPair(t)
	defer peer.Close()
	c := newConn(local, connConfig{})
	defer c.CloseNow()
	c.burst.Store(true) // as if the reader had messages waiting and did not read
	start := time.Now()
	if err := c.Write(context.Background(), MessageText, []byte("queued")); err != nil {
		t.Fatal(err)
	}
	if c.BufferedAmount() != len("queued") {
		t.Fatalf("BufferedAmount %d while queued", c.BufferedAmount())
	}
	buf := make([]byte, 8)
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf, []byte("\x81\x06queued")) {
		t.Fatalf("got %q", buf)
	}
	if waited := time.Since(start); waited > 500*time.Millisecond {
		t.Fatalf("queued frame left after %v", waited)
	}
	time.Sleep(10 * time.Millisecond)
	if c.BufferedAmount() != 0 {
		t.Fatalf("BufferedAmount %d after the flush", c.BufferedAmount())
	}
}
