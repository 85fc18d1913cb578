package chat_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrt/duplex/internal/chat"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

// fakeConn records what the hub sends and how it closes. When block is
// not nil, Send signals blocked and waits until block is closed or ctx
// ends.
type fakeConn struct {
	block   chan struct{}
	blocked chan struct{}
	sendErr error

	mu     sync.Mutex
	msgs   []string
	closes []string // "code reason" of each Close
	sent   chan struct{}
}

func newFakeConn() *fakeConn {
	return &fakeConn{sent: make(chan struct{}, 1<<16), blocked: make(chan struct{}, 1<<16)}
}

func (f *fakeConn) Send(ctx context.Context, msg []byte) error {
	if f.block != nil {
		f.blocked <- struct{}{}
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.sendErr != nil {
		return f.sendErr
	}
	f.mu.Lock()
	f.msgs = append(f.msgs, string(msg))
	f.mu.Unlock()
	f.sent <- struct{}{}
	return nil
}

func (f *fakeConn) Close(code int, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closes = append(f.closes, fmt.Sprint(code, " ", reason))
	return nil
}

func (f *fakeConn) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.msgs...)
}

func (f *fakeConn) closeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.closes...)
}

// waitSent waits until n messages have been sent to f.
func (f *fakeConn) waitSent(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(testTimeout)
	for len(f.messages()) < n {
		select {
		case <-f.sent:
		case <-timeout:
			t.Fatalf("got %d messages within %v, want %d", len(f.messages()), testTimeout, n)
		}
	}
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// checkNoHubGoroutines fails the test if a goroutine running the hub's
// code is still alive a short while after the test.
func checkNoHubGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		var leaked []string
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "/internal/chat.") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d hub goroutines left behind:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newHub returns a hub that is shut down when the test ends, so that a
// failing test leaves no goroutines to the next one.
func newHub(t *testing.T, opts *chat.Options) *chat.Hub {
	h := chat.NewHub(opts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	return h
}

func shutdown(t *testing.T, h *chat.Hub) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func join(t *testing.T, h *chat.Hub, name string, conn chat.Conn) *chat.Client {
	t.Helper()
	c, err := h.Join(name, conn)
	if err != nil {
		t.Fatalf("Join(%q): %v", name, err)
	}
	return c
}

func TestBroadcastOrder(t *testing.T) {
	const senders, perSender, receivers = 4, 200, 3
	h := newHub(t, &chat.Options{
		QueueSize: senders*perSender + 1,
		Welcome:   []byte("welcome"),
		Logger:    discardLogger(),
	})
	conns := make([]*fakeConn, receivers)
	for i := range conns {
		conns[i] = newFakeConn()
		join(t, h, fmt.Sprint("r", i), conns[i])
	}
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			msg := make([]byte, 0, 16)
			for i := range perSender {
				// The hub must copy: the buffer is reused at once.
				msg = fmt.Appendf(msg[:0], "%d/%d", s, i)
				if n := h.Broadcast(msg); n != receivers {
					t.Errorf("Broadcast reached %d clients, want %d", n, receivers)
				}
			}
		})
	}
	wg.Wait()
	for _, c := range conns {
		c.waitSent(t, 1+senders*perSender)
	}
	shutdown(t, h)

	first := conns[0].messages()
	for i, c := range conns {
		got := c.messages()
		if got[0] != "welcome" {
			t.Errorf("receiver %d: first message %q, want the welcome", i, got[0])
		}
		next := make([]int, senders)
		for _, m := range got[1:] {
			var s, n int
			if _, err := fmt.Sscanf(m, "%d/%d", &s, &n); err != nil {
				t.Fatalf("receiver %d: unexpected message %q", i, m)
			}
			if n != next[s] {
				t.Fatalf("receiver %d: sender %d's message %d arrived when %d was due", i, s, n, next[s])
			}
			next[s]++
		}
		if strings.Join(got, ",") != strings.Join(first, ",") {
			t.Errorf("receiver %d saw another order than receiver 0", i)
		}
	}
	checkNoHubGoroutines(t)
}

func TestSlowConsumer(t *testing.T) {
	const queue = 4
	var logs syncBuffer
	h := newHub(t, &chat.Options{QueueSize: queue, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	fast1, fast2 := newFakeConn(), newFakeConn()
	slow := newFakeConn()
	slow.block = make(chan struct{})
	join(t, h, "fast1", fast1)
	slowClient := join(t, h, "slow", slow)
	join(t, h, "fast2", fast2)

	// The slow client's goroutine takes the first message and blocks
	// writing it; the next messages fill its queue; the one after that
	// finds the queue full and drops the client.
	h.Broadcast([]byte("m0"))
	select {
	case <-slow.blocked:
	case <-time.After(testTimeout):
		t.Fatal("the slow client's goroutine did not start writing")
	}
	// Each broadcast returns at once, and the fast clients get each
	// message before the next one goes out.
	const total = queue + 6
	for i := 1; i < total; i++ {
		start := time.Now()
		h.Broadcast(fmt.Appendf(nil, "m%d", i))
		if d := time.Since(start); d > time.Second {
			t.Errorf("Broadcast took %v with a slow client", d)
		}
		fast1.waitSent(t, i+1)
		fast2.waitSent(t, i+1)
	}
	if n := h.Len(); n != 2 {
		t.Errorf("Len = %d after the slow client was dropped, want 2", n)
	}
	if !strings.Contains(logs.String(), "too slow") || !strings.Contains(logs.String(), "client=slow dropped=5") {
		t.Errorf("no log line names the dropped client; log:\n%s", logs.String())
	}
	// Others keep receiving.
	if n := h.Broadcast([]byte("after")); n != 2 {
		t.Errorf("Broadcast after the drop reached %d clients, want 2", n)
	}
	fast1.waitSent(t, total+1)
	fast2.waitSent(t, total+1)

	// Once its blocked write ends, the slow client is closed with 1008;
	// nothing queued after the drop reaches it.
	close(slow.block)
	select {
	case <-slowClient.Done():
	case <-time.After(testTimeout):
		t.Fatal("the slow client's goroutine did not end")
	}
	if got, want := slow.closeCalls(), []string{"1008 too slow"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("slow client closed with %q, want %q", got, want)
	}
	if got := slow.messages(); len(got) != 1 || got[0] != "m0" {
		t.Errorf("slow client got %q, want only the message it was writing", got)
	}
	shutdown(t, h)
	checkNoHubGoroutines(t)
}

func TestShutdownClosesEveryClientWithGoingAway(t *testing.T) {
	h := newHub(t, &chat.Options{Welcome: []byte("hi"), Logger: discardLogger()})
	conns := make([]*fakeConn, 3)
	for i := range conns {
		conns[i] = newFakeConn()
		join(t, h, fmt.Sprint("c", i), conns[i])
	}
	h.Broadcast([]byte("last words"))
	shutdown(t, h)
	for i, c := range conns {
		// What was queued before Shutdown is written first.
		if got := strings.Join(c.messages(), ","); got != "hi,last words" {
			t.Errorf("client %d got %q, want the welcome and the broadcast", i, got)
		}
		if got := c.closeCalls(); len(got) != 1 || got[0] != "1001 "+chat.ReasonShutdown {
			t.Errorf("client %d closed with %q, want one close with 1001", i, got)
		}
	}
	if _, err := h.Join("late", newFakeConn()); !errors.Is(err, chat.ErrHubClosed) {
		t.Errorf("Join after Shutdown: %v, want ErrHubClosed", err)
	}
	if n := h.Broadcast([]byte("x")); n != 0 || h.Len() != 0 {
		t.Errorf("after Shutdown: Broadcast reached %d, Len %d; want 0 and 0", n, h.Len())
	}
	shutdown(t, h) // a second call returns at once
	checkNoHubGoroutines(t)
}

func TestShutdownGivesUpWhenContextEnds(t *testing.T) {
	h := newHub(t, &chat.Options{WriteTimeout: time.Hour, Logger: discardLogger()})
	stuck := newFakeConn()
	stuck.block = make(chan struct{}) // never closed: only ctx ends Send
	join(t, h, "stuck", stuck)
	h.Broadcast([]byte("never written"))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := h.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > testTimeout {
		t.Errorf("Shutdown took %v", d)
	}
	// The interrupted write breaks the connection: no close message.
	checkNoHubGoroutines(t)
	if got := stuck.closeCalls(); len(got) != 0 {
		t.Errorf("closed a broken connection with %q", got)
	}
}

func TestLeave(t *testing.T) {
	h := newHub(t, &chat.Options{Logger: discardLogger()})
	stay, leave := newFakeConn(), newFakeConn()
	join(t, h, "stay", stay)
	c := join(t, h, "leave", leave)
	if c.Name() != "leave" {
		t.Errorf("Name = %q", c.Name())
	}
	c.Leave()
	c.Leave() // idempotent
	select {
	case <-c.Done():
	case <-time.After(testTimeout):
		t.Fatal("goroutine of a client that left did not end")
	}
	if n := h.Broadcast([]byte("x")); n != 1 {
		t.Errorf("Broadcast reached %d clients, want 1", n)
	}
	stay.waitSent(t, 1)
	shutdown(t, h)
	if got := leave.closeCalls(); len(got) != 0 {
		t.Errorf("a client that left was closed by the hub: %q", got)
	}
	if got := leave.messages(); len(got) != 0 {
		t.Errorf("a client that left got %q", got)
	}
	checkNoHubGoroutines(t)
}

func TestFailedWriteRemovesClient(t *testing.T) {
	var logs syncBuffer
	h := newHub(t, &chat.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	broken := newFakeConn()
	broken.sendErr = errors.New("connection reset")
	c := join(t, h, "broken", broken)
	h.Broadcast([]byte("x"))
	select {
	case <-c.Done():
	case <-time.After(testTimeout):
		t.Fatal("goroutine of a broken client did not end")
	}
	if h.Len() != 0 {
		t.Errorf("Len = %d, want 0", h.Len())
	}
	if got := broken.closeCalls(); len(got) != 0 {
		t.Errorf("a broken connection was closed with %q", got)
	}
	if !strings.Contains(logs.String(), "connection reset") {
		t.Errorf("the failed write was not logged; log:\n%s", logs.String())
	}
	shutdown(t, h)
	checkNoHubGoroutines(t)
}
