package interop_test

// The machinery of the permessage-deflate interop tests (RFC 7692):
// payloads that compress well and payloads that do not, a tapping TCP
// proxy that parses the frames going through it, so that a test can see
// what went over the wire (RSV1, fragments, compressed sizes) without
// touching either end, and an echo exchange that checks messages, frames
// and compression ratios. compress_node_test.go, compress_python_test.go
// and compress_chromium_test.go use it.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/duplexrt/duplex/websocket"
)

// Payload kinds of the compression tests.
const (
	payloadJSON   = "json"   // JSON-like text: compresses several times over
	payloadRandom = "random" // random bytes, sent as binary: does not compress
)

var (
	payloadMu    sync.Mutex
	payloadCache = map[string][]byte{}
)

// deflatePayload returns the deterministic payload of n bytes of a kind.
func deflatePayload(kind string, n int) []byte {
	key := kind + ":" + strconv.Itoa(n)
	payloadMu.Lock()
	defer payloadMu.Unlock()
	if p, ok := payloadCache[key]; ok {
		return p
	}
	var p []byte
	switch kind {
	case payloadJSON:
		p = jsonLike(n)
	case payloadRandom:
		p = make([]byte, n)
		seed := [32]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), 'd', 'e', 'f', 'l', 'a', 't', 'e'}
		rand.NewChaCha8(seed).Read(p)
	default:
		panic("unknown payload kind " + kind)
	}
	payloadCache[key] = p
	return p
}

// payloadType is the message type a payload kind is sent as.
func payloadType(kind string) websocket.MessageType {
	if kind == payloadJSON {
		return websocket.MessageText
	}
	return websocket.MessageBinary
}

// jsonLike returns n bytes of valid UTF-8 that look like a chat log in
// JSON: repeated keys, values drawn from small vocabularies, numbers
// that vary. The last record is cut at n bytes (at a character boundary,
// padded with spaces), so the whole is JSON-like rather than JSON.
func jsonLike(n int) []byte {
	users := []string{"ana", "bruno", "chloé", "dmitri", "eun-ji", "françois", "grace", "hiro", "inès", "jürgen"}
	rooms := []string{"general", "random", "go", "websocket", "café ☕", "ops"}
	words := []string{"the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog",
		"message", "frame", "window", "deflate", "context", "takeover", "latency", "€5", "✓", "𝄞"}
	tags := []string{"urgent", "fyi", "question", "answer", "bug", "idea"}
	r := rand.New(rand.NewPCG(uint64(n), 7692))
	b := make([]byte, 0, n+512)
	b = append(b, '[')
	for id := 1; len(b) < n; id++ {
		if id > 1 {
			b = append(b, ",\n"...)
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, `,"user":"`...)
		b = append(b, users[r.IntN(len(users))]...)
		b = append(b, `","room":"`...)
		b = append(b, rooms[r.IntN(len(rooms))]...)
		b = append(b, `","ts":`...)
		b = strconv.AppendInt(b, 1700000000000+int64(id)*1013+int64(r.IntN(1000)), 10)
		b = append(b, `,"text":"`...)
		for w := range 3 + r.IntN(10) {
			if w > 0 {
				b = append(b, ' ')
			}
			b = append(b, words[r.IntN(len(words))]...)
		}
		b = append(b, `","score":`...)
		b = strconv.AppendFloat(b, float64(r.IntN(100000))/1000, 'f', -1, 64)
		b = append(b, `,"tags":["`...)
		b = append(b, tags[r.IntN(len(tags))]...)
		b = append(b, `","`...)
		b = append(b, tags[r.IntN(len(tags))]...)
		b = append(b, `"],"read":`...)
		b = strconv.AppendBool(b, r.IntN(2) == 0)
		b = append(b, '}')
	}
	m := min(n, len(b))
	for m > 0 && m < len(b) && !utf8.RuneStart(b[m]) {
		m--
	}
	b = b[:m]
	for len(b) < n {
		b = append(b, ' ')
	}
	return b
}

// A wireMessage is one data message as a tap saw it on the wire.
type wireMessage struct {
	opcode    byte  // of the first frame: 1 text, 2 binary
	rsv1      bool  // RSV1 on the first frame: compressed (RFC 7692, section 6)
	frames    int   // frames of the message
	contRSV1  int   // continuation frames with RSV1 set, which must be none
	wireBytes int64 // payload bytes of all its frames, as sent
}

// A frameScanner follows one direction of a WebSocket connection: the
// HTTP handshake, then frames (RFC 6455, section 5.2), whose headers it
// parses and whose payloads it counts without keeping them.
type frameScanner struct {
	mu        sync.Mutex
	handshake []byte // the HTTP head, up to and including the empty line
	headDone  bool
	hdr       []byte // header bytes of the frame being parsed
	remaining uint64 // payload bytes of the current frame still to come
	inPayload bool
	fin       bool
	control   bool
	cur       *wireMessage // the data message being received
	messages  []wireMessage
	taken     int      // messages already returned by take
	problems  []string // what no valid endpoint sends
}

const maxHandshake = 64 << 10

func (s *frameScanner) feed(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(p) > 0 {
		switch {
		case !s.headDone:
			s.handshake = append(s.handshake, p[0])
			p = p[1:]
			if bytes.HasSuffix(s.handshake, []byte("\r\n\r\n")) {
				s.headDone = true
			} else if len(s.handshake) > maxHandshake {
				s.problems = append(s.problems, "handshake head over 64 KiB")
				s.headDone = true
			}
		case s.inPayload:
			k := uint64(len(p))
			if k > s.remaining {
				k = s.remaining
			}
			s.remaining -= k
			p = p[k:]
			if s.remaining == 0 {
				s.endFrame()
			}
		default:
			s.hdr = append(s.hdr, p[0])
			p = p[1:]
			s.parseHeader()
		}
	}
}

// parseHeader starts the frame once its header is complete.
func (s *frameScanner) parseHeader() {
	h := s.hdr
	if len(h) < 2 {
		return
	}
	need := 2
	switch h[1] & 0x7f {
	case 126:
		need += 2
	case 127:
		need += 8
	}
	masked := h[1]&0x80 != 0
	if masked {
		need += 4
	}
	if len(h) < need {
		return
	}
	var n uint64
	switch l := h[1] & 0x7f; l {
	case 126:
		n = uint64(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		n = binary.BigEndian.Uint64(h[2:10])
	default:
		n = uint64(l)
	}
	fin, rsv1, op := h[0]&0x80 != 0, h[0]&0x40 != 0, h[0]&0x0f
	if h[0]&0x30 != 0 {
		s.problems = append(s.problems, fmt.Sprintf("frame with RSV2/RSV3 set: %#02x", h[0]))
	}
	s.hdr = s.hdr[:0]
	s.fin = fin
	s.control = op >= 8
	switch {
	case s.control:
		if rsv1 {
			s.problems = append(s.problems, fmt.Sprintf("control frame %#x with RSV1 (RFC 7692, section 6.1)", op))
		}
	case op == 0:
		if s.cur == nil {
			s.problems = append(s.problems, "continuation frame outside a message")
			s.cur = &wireMessage{}
		}
		s.cur.frames++
		if rsv1 {
			s.cur.contRSV1++
		}
		s.cur.wireBytes += int64(n)
	default:
		if s.cur != nil {
			s.problems = append(s.problems, "data frame inside a fragmented message")
		}
		s.cur = &wireMessage{opcode: op, rsv1: rsv1, frames: 1, wireBytes: int64(n)}
	}
	s.remaining = n
	s.inPayload = true
	if n == 0 {
		s.endFrame()
	}
}

func (s *frameScanner) endFrame() {
	s.inPayload = false
	if !s.control && s.fin && s.cur != nil {
		s.messages = append(s.messages, *s.cur)
		s.cur = nil
	}
}

// take returns the data messages completed since the last take.
func (s *frameScanner) take() []wireMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := append([]wireMessage(nil), s.messages[s.taken:]...)
	s.taken = len(s.messages)
	return m
}

// header returns a header field of the handshake head, or "".
func (s *frameScanner) header(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range strings.Split(string(s.handshake), "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// requestLine returns the first line of the handshake head.
func (s *frameScanner) requestLine() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	line, _, _ := strings.Cut(string(s.handshake), "\r\n")
	return line
}

func (s *frameScanner) violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// A tapConn is one proxied connection: up is what the client sent, down
// what the server sent.
type tapConn struct {
	up, down frameScanner
}

// A wireTap is a TCP proxy on 127.0.0.1 in front of target that parses
// every connection it carries. Each scanner sees a chunk before the chunk
// is passed on, so once an endpoint has received a message, the tap has
// recorded it.
type wireTap struct {
	addr   string
	target string
	ln     net.Listener

	mu      sync.Mutex
	conns   []*tapConn // in the order they were accepted; guarded by mu
	sockets []net.Conn // to close at the end; guarded by mu
	closed  bool       // guarded by mu
	arrived chan struct{}
	wg      sync.WaitGroup
}

// newWireTap starts a tap in front of target (host:port); it stops at the
// end of the test.
func newWireTap(t *testing.T, target string) *wireTap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tap := &wireTap{addr: ln.Addr().String(), target: target, ln: ln, arrived: make(chan struct{}, 16)}
	tap.wg.Add(1)
	go tap.serve()
	t.Cleanup(tap.close)
	return tap
}

func (tap *wireTap) serve() {
	defer tap.wg.Done()
	for {
		client, err := tap.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.DialTimeout("tcp", tap.target, 10*time.Second)
		if err != nil {
			client.Close()
			continue
		}
		tc := &tapConn{}
		tap.mu.Lock()
		if tap.closed {
			tap.mu.Unlock()
			client.Close()
			server.Close()
			return
		}
		tap.conns = append(tap.conns, tc)
		tap.sockets = append(tap.sockets, client, server)
		tap.mu.Unlock()
		select {
		case tap.arrived <- struct{}{}:
		default:
		}
		var both sync.WaitGroup
		both.Add(2)
		tap.wg.Add(1)
		go tap.pipe(&both, client, server, &tc.up)
		go tap.pipe(&both, server, client, &tc.down)
		go func() {
			defer tap.wg.Done()
			both.Wait()
			client.Close()
			server.Close()
		}()
	}
}

// pipe copies src to dst through scanner; at the end of src it passes the
// half close on, as the close handshake's TCP ending needs.
func (tap *wireTap) pipe(done *sync.WaitGroup, src, dst net.Conn, scanner *frameScanner) {
	defer done.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			scanner.feed(buf[:n])
			if _, werr := dst.Write(buf[:n]); werr != nil {
				src.Close()
				dst.Close()
				return
			}
		}
		if err != nil {
			if tcp, ok := dst.(*net.TCPConn); ok && errors.Is(err, io.EOF) {
				tcp.CloseWrite()
			} else {
				dst.Close()
			}
			return
		}
	}
}

func (tap *wireTap) close() {
	tap.mu.Lock()
	tap.closed = true
	for _, c := range tap.sockets {
		c.Close()
	}
	tap.mu.Unlock()
	tap.ln.Close()
	tap.wg.Wait()
}

// only returns the tap's single connection, waiting for it if needed.
func (tap *wireTap) only(t *testing.T) *tapConn {
	t.Helper()
	deadline := time.After(eventTimeout)
	for {
		tap.mu.Lock()
		n := len(tap.conns)
		var tc *tapConn
		if n > 0 {
			tc = tap.conns[0]
		}
		tap.mu.Unlock()
		switch {
		case n > 1:
			t.Fatalf("tap carried %d connections, want 1", n)
		case n == 1:
			return tc
		}
		select {
		case <-tap.arrived:
		case <-deadline:
			t.Fatalf("no connection through the tap within %v", eventTimeout)
		}
	}
}

// byRequest returns the connection whose handshake request line contains
// s, or nil.
func (tap *wireTap) byRequest(s string) *tapConn {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	for _, tc := range tap.conns {
		if strings.Contains(tc.up.requestLine(), s) {
			return tc
		}
	}
	return nil
}

// wsURL is the ws:// URL of path through the tap.
func (tap *wireTap) wsURL(path string) string {
	return "ws://" + tap.addr + path
}

// A deflateLink is a compressed connection between our Conn and a peer
// script, through a tap.
type deflateLink struct {
	*link
	wire     *tapConn
	goClient bool // our side is the client
}

// fromGo and toGo are the directions of the link's wire.
func (l *deflateLink) fromGo() *frameScanner {
	if l.goClient {
		return &l.wire.up
	}
	return &l.wire.down
}

func (l *deflateLink) toGo() *frameScanner {
	if l.goClient {
		return &l.wire.down
	}
	return &l.wire.up
}

// deflateSide is an expected negotiation: the client's offer and the
// server's answer.
type deflateSide struct {
	offer  string // the Sec-WebSocket-Extensions request header expected on the wire
	answer string // the response header, and so Extensions() and the peer's view
}

// checkNegotiation checks that both ends and the wire agree on the
// expected offer and answer. peerView is the answer as the peer saw it.
func (l *deflateLink) checkNegotiation(t *testing.T, want deflateSide, peerView string) {
	t.Helper()
	if got := l.wire.up.header("Sec-WebSocket-Extensions"); got != want.offer {
		t.Errorf("offer on the wire: %q, want %q", got, want.offer)
	}
	if got := l.wire.down.header("Sec-WebSocket-Extensions"); got != want.answer {
		t.Errorf("answer on the wire: %q, want %q", got, want.answer)
	}
	if got := l.conn.Extensions(); got != want.answer {
		t.Errorf("our Extensions() = %q, want %q", got, want.answer)
	}
	if peerView != want.answer {
		t.Errorf("the peer's negotiated extensions: %q, want %q", peerView, want.answer)
	}
}

// Modes of the echo exchange.
const (
	modeWrite     = "Write"         // we send with Write, the peer echoes in one frame
	modePeerFrags = "PeerFragments" // we send with Write, the peer echoes in fin:false pieces
	modeWriter    = "Writer"        // we stream the message through Writer, the peer echoes it whole
)

// peerFragments is how many frames the peer splits an echo into in
// modePeerFrags.
const peerFragments = 4

// writerChunks is the cycle of Write sizes in modeWriter: a byte, odd
// sizes inside multi-byte characters, and frames around 64 KiB.
var writerChunks = []int{1, 3, 125, 4099, 65535, 65537}

// An exchangePlan lists the messages of an echo exchange.
type exchangePlan struct {
	sizes []int
	huge  []string // modes that also send a 16 MiB message of each kind
}

var (
	// deflateSizes are the message sizes of every combination.
	deflateSizes = []int{0, 1, 100, 1 << 10, 64 << 10, 1 << 20}
	hugeSize     = 16 << 20
)

// wireTotals adds up a direction's payload and wire bytes.
type wireTotals struct {
	messages       int
	payload, wire  int64
	jsonPayload    int64
	jsonWire       int64
	randomPayload  int64
	randomWire     int64
	compressedMsgs int
}

func (w *wireTotals) add(kind string, n int, m wireMessage) {
	w.messages++
	w.payload += int64(n)
	w.wire += m.wireBytes
	if m.rsv1 {
		w.compressedMsgs++
	}
	if kind == payloadJSON {
		w.jsonPayload += int64(n)
		w.jsonWire += m.wireBytes
	} else {
		w.randomPayload += int64(n)
		w.randomWire += m.wireBytes
	}
}

func (w *wireTotals) String() string {
	ratio := func(wire, payload int64) string {
		if payload == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", float64(wire)/float64(payload))
	}
	return fmt.Sprintf("%d messages (%d compressed), %d payload bytes in %d wire bytes; JSON-like %s, random %s",
		w.messages, w.compressedMsgs, w.payload, w.wire, ratio(w.jsonWire, w.jsonPayload), ratio(w.randomWire, w.randomPayload))
}

// runDeflateExchange sends every planned message, checks the echo, and
// checks on the wire that each message in both directions was
// compressed, fragmented as intended, and (for JSON-like payloads) much
// smaller than its payload. The peer must compress every message (ws
// with threshold 0, websockets always) and our side must have
// CompressionOptions.Threshold -1.
func runDeflateExchange(t *testing.T, l *deflateLink, plan exchangePlan) {
	t.Helper()
	var sent, received wireTotals
	l.fromGo().take()
	l.toGo().take()
	for _, mode := range []string{modeWrite, modePeerFrags, modeWriter} {
		sizes := plan.sizes
		for _, m := range plan.huge {
			if m == mode {
				sizes = append(append([]int(nil), sizes...), hugeSize)
			}
		}
		for _, kind := range []string{payloadJSON, payloadRandom} {
			for _, n := range sizes {
				what := fmt.Sprintf("%s %s %d bytes", mode, kind, n)
				deflateEcho(t, l, mode, kind, n, what, &sent, &received)
				if t.Failed() {
					t.FailNow()
				}
			}
		}
	}
	t.Logf("sent: %v", &sent)
	t.Logf("received: %v", &received)
	for _, s := range []*frameScanner{l.fromGo(), l.toGo()} {
		for _, v := range s.violations() {
			t.Errorf("on the wire: %s", v)
		}
	}
}

// deflateEcho runs one round trip and its wire checks.
func deflateEcho(t *testing.T, l *deflateLink, mode, kind string, n int, what string, sent, received *wireTotals) {
	t.Helper()
	typ := payloadType(kind)
	want := deflatePayload(kind, n)
	commands := 0
	if mode == modePeerFrags {
		l.sendCommand(t, map[string]any{"cmd": "fragment_next", "fragments": peerFragments})
		commands = 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	writes := 0
	if mode == modeWriter {
		w, err := l.conn.Writer(ctx, typ)
		if err != nil {
			t.Fatalf("%s: Writer: %v", what, err)
		}
		for rest := want; len(rest) > 0; writes++ {
			k := min(writerChunks[writes%len(writerChunks)], len(rest))
			if _, err := w.Write(rest[:k]); err != nil {
				t.Fatalf("%s: Writer.Write after %d writes: %v", what, writes, err)
			}
			rest = rest[k:]
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: Writer.Close: %v", what, err)
		}
	} else if err := l.conn.Write(ctx, typ, want); err != nil {
		t.Fatalf("%s: Write: %v", what, err)
	}
	gotType, got, err := l.conn.Read(ctx)
	if err != nil {
		t.Fatalf("%s: Read of the echo: %v", what, err)
	}
	checkMessage(t, what+": echo", gotType, typ, got, want)

	// What went over the wire. The peer has read the whole message before
	// echoing it, and the tap sees bytes before passing them on.
	out, in := l.fromGo().take(), l.toGo().take()
	if len(out) != commands+1 || len(in) != 1 {
		t.Fatalf("%s: the wire carried %d messages from us and %d to us, want %d and 1", what, len(out), len(in), commands+1)
	}
	for _, c := range out[:commands] {
		if !c.rsv1 {
			t.Errorf("%s: our command message went uncompressed", what)
		}
	}
	o, i := out[commands], in[0]
	sent.add(kind, n, o)
	received.add(kind, n, i)
	wantOp := byte(typ)
	if o.opcode != wantOp || i.opcode != wantOp {
		t.Errorf("%s: opcodes on the wire %d out, %d in; want %d", what, o.opcode, i.opcode, wantOp)
	}
	if o.contRSV1 != 0 || i.contRSV1 != 0 {
		t.Errorf("%s: continuation frames with RSV1: %d out, %d in; want none (RFC 7692, section 6)", what, o.contRSV1, i.contRSV1)
	}
	// Our side compresses everything (Threshold -1), except a Writer
	// message with no Write, which goes out as one empty, uncompressed
	// frame.
	emptyStream := mode == modeWriter && writes == 0
	if !o.rsv1 && !emptyStream {
		t.Errorf("%s: our message went uncompressed (no RSV1 on its first frame)", what)
	}
	if !i.rsv1 {
		t.Errorf("%s: the peer's echo went uncompressed (no RSV1 on its first frame)", what)
	}
	switch mode {
	case modeWriter:
		// One frame per Write and the final one.
		if o.frames != writes+1 {
			t.Errorf("%s: %d frames from us, want %d (one per Write and the final one)", what, o.frames, writes+1)
		}
	default:
		if o.frames != 1 {
			t.Errorf("%s: %d frames from us, want 1", what, o.frames)
		}
	}
	wantPeerFrames := 1
	if mode == modePeerFrags {
		wantPeerFrames = peerFragments
	}
	if i.frames != wantPeerFrames {
		t.Errorf("%s: %d frames in the peer's echo, want %d", what, i.frames, wantPeerFrames)
	}
	// JSON-like text must shrink to half or less: from 1 KiB up when sent
	// in one frame, from 64 KiB up when fragmented (every fragment ends
	// with a flush, and small fragments compress poorly without context
	// takeover). Random bytes may grow only by the framing of deflate's
	// stored blocks and of the flushes.
	checkRatio := func(dir string, m wireMessage, frames int) {
		switch {
		case kind == payloadJSON && n >= 1<<10 && (frames == 1 || n >= 64<<10):
			if m.wireBytes*2 > int64(n) {
				t.Errorf("%s: %s: %d bytes on the wire for %d bytes of JSON-like text, want at most half", what, dir, m.wireBytes, n)
			}
		case kind == payloadRandom:
			if limit := int64(n) + int64(n)/32 + int64(frames)*16 + 64; m.wireBytes > limit {
				t.Errorf("%s: %s: %d bytes on the wire for %d random bytes, want at most %d", what, dir, m.wireBytes, n, limit)
			}
		}
	}
	checkRatio("from us", o, o.frames)
	checkRatio("to us", i, i.frames)
}

// closeDeflateLink ends a link with a normal closure.
func closeDeflateLink(t *testing.T, l *deflateLink) {
	t.Helper()
	closeNormally(t, l.link)
}

// deflatePeerConfig encodes a peer's configuration for its command line.
func deflatePeerConfig(t *testing.T, cfg any) string {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// deflateServer is our server for one compressed link: Accept with the
// given compression options, behind a tap.
type deflateServer struct {
	accepted chan acceptResult
	done     chan struct{}
	tap      *wireTap
}

func newDeflateServer(t *testing.T, compression *websocket.CompressionOptions) *deflateServer {
	t.Helper()
	s := &deflateServer{accepted: make(chan acceptResult, 1), done: make(chan struct{})}
	srv := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			ReadLimit:   maxMessage,
			Compression: compression,
		})
		select {
		case s.accepted <- acceptResult{conn, err}:
		default:
			if conn != nil {
				conn.CloseNow()
			}
			return
		}
		if err == nil {
			<-s.done
		}
	}))
	t.Cleanup(func() { close(s.done) })
	s.tap = newWireTap(t, srv)
	return s
}

// accept waits for the connection of the peer client proc.
func (s *deflateServer) accept(t *testing.T, peer *peerProc) *websocket.Conn {
	t.Helper()
	var res acceptResult
	select {
	case res = <-s.accepted:
	case <-peer.exited:
		t.Fatalf("%s exited before connecting; stderr:\n%s", peer.name, peer.stderr.String())
	case <-time.After(opTimeout):
		t.Fatalf("%s did not connect within %v; stderr:\n%s", peer.name, opTimeout, peer.stderr.String())
	}
	if res.err != nil {
		t.Fatalf("Accept from %s: %v", peer.name, res.err)
	}
	t.Cleanup(func() { res.conn.CloseNow() })
	return res.conn
}

// newHTTPServer serves h on 127.0.0.1 until the end of the test and
// returns its host:port.
func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln := listenLocal(t)
	serveHTTP(t, ln, h)
	return ln.Addr().String()
}

// listenLocal listens on a free port of 127.0.0.1.
func listenLocal(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// serveHTTP serves h on ln until the end of the test.
func serveHTTP(t *testing.T, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// dialDeflate dials a peer server at addr through a new tap.
func dialDeflate(t *testing.T, addr, id string, compression *websocket.CompressionOptions) (*websocket.Conn, *wireTap) {
	t.Helper()
	tap := newWireTap(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, tap.wsURL("/"+id), &websocket.DialOptions{
		ReadLimit:   maxMessage,
		Compression: compression,
		Proxy:       websocket.NoProxy,
	})
	if err != nil {
		t.Fatalf("Dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn, tap
}
