package interop_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// messageSizes are the payload lengths every direction is checked with:
// the edges of the 7-bit, 16-bit and 64-bit length encodings (RFC 6455,
// section 5.2) and a 16 MiB message.
var messageSizes = []int{0, 125, 126, 65535, 65536, 16 << 20}

var messageTypes = []websocket.MessageType{websocket.MessageText, websocket.MessageBinary}

// closeCodes are the codes an application may send (section 7.4): the
// defined ones, then one registered and one private code.
var closeCodes = []websocket.StatusCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999}

// runSuite runs every interop check over links made by connect.
func runSuite(t *testing.T, connect connector) {
	t.Run("Echo", func(t *testing.T) { testEcho(t, connect) })
	t.Run("PeerFragments", func(t *testing.T) { testPeerFragments(t, connect) })
	t.Run("WriterFragments", func(t *testing.T) { testWriterFragments(t, connect) })
	t.Run("Ping", func(t *testing.T) { testPing(t, connect) })
	t.Run("PingBetweenFragments", func(t *testing.T) { testPingBetweenFragments(t, connect) })
	t.Run("PeerPing", func(t *testing.T) { testPeerPing(t, connect) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, connect) })
	t.Run("CloseFromUs", func(t *testing.T) {
		for _, code := range closeCodes {
			t.Run(fmt.Sprint(int(code)), func(t *testing.T) { testCloseFromUs(t, connect, code) })
		}
	})
	t.Run("CloseFromPeer", func(t *testing.T) {
		for _, code := range closeCodes {
			t.Run(fmt.Sprint(int(code)), func(t *testing.T) { testCloseFromPeer(t, connect, code) })
		}
	})
	t.Run("ReadLimit", func(t *testing.T) { testReadLimit(t, connect) })
	t.Run("InvalidUTF8", func(t *testing.T) { testInvalidUTF8(t, connect) })
	t.Run("Subprotocol", func(t *testing.T) { testSubprotocol(t, connect) })
	t.Run("NoSubprotocol", func(t *testing.T) { testNoSubprotocol(t, connect) })
}

// readMessage reads one message within opTimeout and fails the test on
// error. The returned slice is valid until the next read.
func readMessage(t *testing.T, conn *websocket.Conn) (websocket.MessageType, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	typ, p, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return typ, p
}

func checkMessage(t *testing.T, what string, gotType, wantType websocket.MessageType, got, want []byte) {
	t.Helper()
	if gotType != wantType {
		t.Errorf("%s: message type %v, want %v", what, gotType, wantType)
	}
	checkBytes(t, what, got, want)
}

// closeNormally ends a link that a test is done with, and checks that the
// peer saw a normal closure.
func closeNormally(t *testing.T, l *link) {
	t.Helper()
	if err := l.conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Errorf("Close: %v", err)
	}
	if ev := l.peerEvent(t, "close"); ev.Code != int(websocket.StatusNormalClosure) {
		t.Errorf("peer saw close code %d, want 1000", ev.Code)
	}
}

// testEcho sends each size and type with Write in one message and checks
// that the peer's echo is the same message.
func testEcho(t *testing.T, connect connector) {
	l := connect(t, nil)
	for _, typ := range messageTypes {
		for _, n := range messageSizes {
			want := pattern(typ, n)
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			err := l.conn.Write(ctx, typ, want)
			cancel()
			if err != nil {
				t.Fatalf("Write %v %d bytes: %v", typ, n, err)
			}
			gotType, got := readMessage(t, l.conn)
			checkMessage(t, fmt.Sprintf("echo of %v %d bytes", typ, n), gotType, typ, got, want)
		}
	}
	closeNormally(t, l)
}

// testPeerFragments has the peer send each size and type split into
// several frames (continuation frames, RFC 6455 section 5.4), and checks
// the message Read assembles.
func testPeerFragments(t *testing.T, connect connector) {
	l := connect(t, nil)
	for _, typ := range messageTypes {
		for _, n := range messageSizes {
			for _, fragments := range []int{2, 7} {
				l.sendCommand(t, map[string]any{"cmd": "send", "type": typeName(typ), "size": n, "fragments": fragments})
				gotType, got := readMessage(t, l.conn)
				checkMessage(t, fmt.Sprintf("%v %d bytes in %d fragments", typ, n, fragments),
					gotType, typ, got, pattern(typ, n))
			}
		}
	}
	closeNormally(t, l)
}

// fragmentSizes is the cycle of Write sizes testWriterFragments streams a
// message in: odd sizes that cut through multi-byte characters, and frame
// lengths on both sides of each length-encoding edge.
var fragmentSizes = []int{1, 3, 125, 126, 4099, 65535, 65536, 65537}

// testWriterFragments streams each message through Writer, one frame per
// Write, and checks the peer's echo of the whole.
func testWriterFragments(t *testing.T, connect connector) {
	l := connect(t, nil)
	for _, typ := range messageTypes {
		for _, n := range messageSizes {
			want := pattern(typ, n)
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			w, err := l.conn.Writer(ctx, typ)
			if err != nil {
				cancel()
				t.Fatalf("Writer %v: %v", typ, err)
			}
			frames := 0
			for rest, i := want, 0; len(rest) > 0; i++ {
				k := min(fragmentSizes[i%len(fragmentSizes)], len(rest))
				if _, err := w.Write(rest[:k]); err != nil {
					cancel()
					t.Fatalf("Writer.Write %v after %d frames: %v", typ, frames, err)
				}
				rest = rest[k:]
				frames++
			}
			err = w.Close()
			cancel()
			if err != nil {
				t.Fatalf("Writer.Close %v: %v", typ, err)
			}
			gotType, got := readMessage(t, l.conn)
			checkMessage(t, fmt.Sprintf("echo of %v %d bytes written in %d fragments", typ, n, frames),
				gotType, typ, got, want)
		}
	}
	closeNormally(t, l)
}

// readResult is one Read done by a background reader.
type readResult struct {
	typ  websocket.MessageType
	data []byte
	err  error
}

// readInBackground reads messages on their own goroutine, as Ping needs,
// until a read fails. The channel is closed after the failed read.
func readInBackground(conn *websocket.Conn) <-chan readResult {
	ch := make(chan readResult, 16)
	go func() {
		defer close(ch)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			typ, p, err := conn.Read(ctx)
			cancel()
			ch <- readResult{typ, append([]byte(nil), p...), err}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// testPing checks that our Ping returns once the peer's automatic pong
// arrives, several times, and that messages still flow around it.
func testPing(t *testing.T, connect connector) {
	l := connect(t, nil)
	reads := readInBackground(l.conn)
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
		err := l.conn.Ping(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Ping %d: %v", i, err)
		}
	}
	want := pattern(websocket.MessageBinary, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := l.conn.Write(ctx, websocket.MessageBinary, want); err != nil {
		t.Fatalf("Write: %v", err)
	}
	r := nextRead(t, reads)
	checkMessage(t, "echo after pings", r.typ, websocket.MessageBinary, r.data, want)
	closeNormally(t, l)
	drainReads(t, reads)
}

// testPingBetweenFragments pings while a streamed message is half sent:
// the ping goes between two fragments (RFC 6455, section 5.4) and the peer
// must answer it and still assemble the message.
func testPingBetweenFragments(t *testing.T, connect connector) {
	l := connect(t, nil)
	reads := readInBackground(l.conn)
	want := pattern(websocket.MessageText, 100000)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	w, err := l.conn.Writer(ctx, websocket.MessageText)
	if err != nil {
		t.Fatalf("Writer: %v", err)
	}
	half := 50001 // inside a multi-byte character
	if _, err := w.Write(want[:half]); err != nil {
		t.Fatalf("Writer.Write: %v", err)
	}
	pingCtx, pingCancel := context.WithTimeout(context.Background(), eventTimeout)
	err = l.conn.Ping(pingCtx)
	pingCancel()
	if err != nil {
		t.Fatalf("Ping between fragments: %v", err)
	}
	if _, err := w.Write(want[half:]); err != nil {
		t.Fatalf("Writer.Write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Writer.Close: %v", err)
	}
	r := nextRead(t, reads)
	checkMessage(t, "echo of a message with a ping between its fragments", r.typ, websocket.MessageText, r.data, want)
	closeNormally(t, l)
	drainReads(t, reads)
}

// testConcurrentWriters writes from several goroutines at once, half with
// Write and half streamed through Writer: the peer must receive whole,
// uninterleaved messages, and each writer's messages in order.
func testConcurrentWriters(t *testing.T, connect connector) {
	const writers, perWriter = 4, 25
	l := connect(t, nil)
	reads := readInBackground(l.conn)
	// message w/i is two bytes naming it, then a pattern of its own length.
	message := func(w, i int) []byte {
		body := pattern(websocket.MessageBinary, 1000+w*4099+i*131)
		return append([]byte{byte(w), byte(i)}, body...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range perWriter {
				p := message(w, i)
				if (w+i)%2 == 0 {
					if err := l.conn.Write(ctx, websocket.MessageBinary, p); err != nil {
						errs <- fmt.Errorf("writer %d message %d: Write: %w", w, i, err)
						return
					}
					continue
				}
				wr, err := l.conn.Writer(ctx, websocket.MessageBinary)
				if err != nil {
					errs <- fmt.Errorf("writer %d message %d: Writer: %w", w, i, err)
					return
				}
				for len(p) > 0 {
					k := min(len(p), 1500)
					if _, err := wr.Write(p[:k]); err != nil {
						errs <- fmt.Errorf("writer %d message %d: Writer.Write: %w", w, i, err)
						return
					}
					p = p[k:]
				}
				if err := wr.Close(); err != nil {
					errs <- fmt.Errorf("writer %d message %d: Writer.Close: %w", w, i, err)
					return
				}
			}
			errs <- nil
		}()
	}
	next := make([]int, writers) // the next message expected from each writer
	for range writers * perWriter {
		r := nextRead(t, reads)
		if len(r.data) < 2 || int(r.data[0]) >= writers {
			t.Fatalf("echo of %d bytes does not name a writer", len(r.data))
		}
		w, i := int(r.data[0]), int(r.data[1])
		if i != next[w] {
			t.Fatalf("writer %d: got message %d, want %d", w, i, next[w])
		}
		next[w]++
		checkMessage(t, fmt.Sprintf("echo of writer %d message %d", w, i), r.typ, websocket.MessageBinary, r.data, message(w, i))
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	closeNormally(t, l)
	drainReads(t, reads)
}

// testPeerPing has the peer ping us with a payload and checks, through the
// peer's report, that our automatic pong carried it back.
func testPeerPing(t *testing.T, connect connector) {
	l := connect(t, nil)
	reads := readInBackground(l.conn)
	for _, payload := range []string{"", "ping-1", "\u2713 \U0001d11e payload"} {
		l.sendCommand(t, map[string]any{"cmd": "ping", "data": payload})
		r := nextRead(t, reads)
		var reply struct {
			Pong *string `json:"pong"`
		}
		if r.typ != websocket.MessageText || json.Unmarshal(r.data, &reply) != nil || reply.Pong == nil {
			t.Fatalf("after the peer's ping: got %v message %q, want the peer's pong report", r.typ, r.data)
		}
		if *reply.Pong != payload {
			t.Errorf("peer got pong %q, want %q", *reply.Pong, payload)
		}
	}
	closeNormally(t, l)
	drainReads(t, reads)
}

// nextRead returns the background reader's next message, failing the test
// on a read error or a timeout.
func nextRead(t *testing.T, reads <-chan readResult) readResult {
	t.Helper()
	select {
	case r, ok := <-reads:
		if !ok {
			t.Fatal("reader stopped")
		}
		if r.err != nil {
			t.Fatalf("Read: %v", r.err)
		}
		return r
	case <-time.After(opTimeout):
		t.Fatalf("no message within %v", opTimeout)
	}
	panic("unreachable")
}

// drainReads waits for the background reader to stop after the link was
// closed; its last read must report the close handshake.
func drainReads(t *testing.T, reads <-chan readResult) {
	t.Helper()
	timeout := time.After(eventTimeout)
	for {
		select {
		case r, ok := <-reads:
			if !ok {
				return
			}
			if r.err != nil && websocket.CloseStatus(r.err) == -1 && !errors.Is(r.err, websocket.ErrClosed) {
				t.Errorf("reader ended with %v, want a close error", r.err)
			}
		case <-timeout:
			t.Fatalf("reader still running %v after Close", eventTimeout)
		}
	}
}

func closeReason(code websocket.StatusCode) string {
	return fmt.Sprintf("code %d \u2713", int(code))
}

// testCloseFromUs closes with code: the peer must see code and reason, and
// its echo of the code must come back as our Read's *CloseError.
func testCloseFromUs(t *testing.T, connect connector, code websocket.StatusCode) {
	l := connect(t, nil)
	reason := closeReason(code)
	if err := l.conn.Close(code, reason); err != nil {
		t.Errorf("Close(%d): %v", code, err)
	}
	ev := l.peerEvent(t, "close")
	if ev.Code != int(code) || ev.Reason != reason {
		t.Errorf("peer saw close %d %q, want %d %q", ev.Code, ev.Reason, code, reason)
	}
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	_, _, err := l.conn.Read(ctx)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("Read after Close: %v, want the peer's echo as *CloseError", err)
	}
	if ce.Code != code || ce.Local {
		t.Errorf("Read after Close: %+v, want the echo of code %d from the peer", *ce, code)
	}
	if s := l.conn.State(); s != websocket.StateClosed {
		t.Errorf("State after Close: %v, want %v", s, websocket.StateClosed)
	}
}

// testCloseFromPeer has the peer close with code: Read must report code
// and reason, and the peer must get the code echoed back.
func testCloseFromPeer(t *testing.T, connect connector, code websocket.StatusCode) {
	l := connect(t, nil)
	reason := closeReason(code)
	l.sendCommand(t, map[string]any{"cmd": "close", "code": int(code), "reason": reason})
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	_, _, err := l.conn.Read(ctx)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("Read: %v, want *CloseError", err)
	}
	if ce.Code != code || ce.Reason != reason || ce.Local {
		t.Errorf("Read: %+v, want code %d reason %q from the peer", *ce, code, reason)
	}
	if got := websocket.CloseStatus(err); got != code {
		t.Errorf("CloseStatus = %d, want %d", got, code)
	}
	if ev := l.peerEvent(t, "close"); ev.Code != int(code) {
		t.Errorf("peer got echo code %d, want %d", ev.Code, code)
	}
	// Once the peer has seen the close handshake complete, our side must
	// be closed too, within the bounded closing wait.
	deadline := time.Now().Add(eventTimeout)
	for l.conn.State() != websocket.StateClosed && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := l.conn.State(); s != websocket.StateClosed {
		t.Errorf("State after the peer's close: %v, want %v", s, websocket.StateClosed)
	}
}

// testReadLimit has the peer send a message one byte over our read limit,
// in one frame and in fragments: we must fail the connection with 1009
// (RFC 6455, section 7.4.1) and the peer must see that code.
func testReadLimit(t *testing.T, connect connector) {
	for _, fragments := range []int{1, 3} {
		t.Run(fmt.Sprintf("%dFragments", fragments), func(t *testing.T) {
			const limit = 4096
			l := connect(t, nil)
			l.conn.SetReadLimit(limit)
			l.sendCommand(t, map[string]any{"cmd": "send", "type": "binary", "size": limit + 1, "fragments": fragments})
			ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			defer cancel()
			_, _, err := l.conn.Read(ctx)
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.StatusMessageTooBig || !ce.Local {
				t.Errorf("Read of %d bytes over a limit of %d: %v, want a local *CloseError with 1009", limit+1, limit, err)
			}
			if ev := l.peerEvent(t, "close"); ev.Code != int(websocket.StatusMessageTooBig) {
				t.Errorf("peer saw close code %d, want 1009", ev.Code)
			}
		})
	}
}

// testInvalidUTF8 has the peer send a text message that is not UTF-8: we
// must fail the connection with 1007 (RFC 6455, section 8.1) and the peer
// must see that code.
func testInvalidUTF8(t *testing.T, connect connector) {
	l := connect(t, nil)
	l.sendCommand(t, map[string]any{"cmd": "send_invalid_text"})
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	typ, p, err := l.conn.Read(ctx)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusInvalidFramePayloadData || !ce.Local {
		t.Errorf("Read of invalid UTF-8 text: %v message %q, error %v; want a local *CloseError with 1007", typ, p, err)
	}
	if ev := l.peerEvent(t, "close"); ev.Code != int(websocket.StatusInvalidFramePayloadData) {
		t.Errorf("peer saw close code %d, want 1007", ev.Code)
	}
}

// testSubprotocol offers ["chat", "superchat"] to a server that prefers
// "superchat": both ends must report "superchat".
func testSubprotocol(t *testing.T, connect connector) {
	l := connect(t, offeredProtocols)
	t.Logf("extensions: ours %q, the peer's %q", l.conn.Extensions(), l.open.Extensions)
	if (l.conn.Extensions() == "") != (l.open.Extensions == "") {
		t.Errorf("the ends disagree on extensions: ours %q, the peer's %q", l.conn.Extensions(), l.open.Extensions)
	}
	if got := l.conn.Subprotocol(); got != "superchat" {
		t.Errorf("our Subprotocol() = %q, want %q", got, "superchat")
	}
	if l.open.Protocol != "superchat" {
		t.Errorf("peer reports protocol %q, want %q", l.open.Protocol, "superchat")
	}
	closeNormally(t, l)
}

// testNoSubprotocol offers none: neither end may report one.
func testNoSubprotocol(t *testing.T, connect connector) {
	l := connect(t, nil)
	if got := l.conn.Subprotocol(); got != "" {
		t.Errorf("our Subprotocol() = %q, want none", got)
	}
	if l.open.Protocol != "" {
		t.Errorf("peer reports protocol %q, want none", l.open.Protocol)
	}
	closeNormally(t, l)
}
