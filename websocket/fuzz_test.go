package websocket

// Fuzz targets for the parsers that see bytes from the network: frame
// headers, UTF-8, close frames, the opening handshake and whole frame
// streams. Run one with, for example,
//
//	go test -run '^$' -fuzz '^FuzzReadFrames$' -fuzztime 30s ./websocket

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzWait bounds every wait of one fuzz input; a connection that is
// still busy after it counts as hung.
const fuzzWait = 5 * time.Second

// fuzzKey is the masking key of the frames the fuzz seeds carry.
var fuzzKey = [4]byte{0xa1, 0xb2, 0xc3, 0xd4}

// fuzzFrame encodes a frame for the seeds, independently of putHeader.
func fuzzFrame(b0 byte, payload []byte, masked bool) []byte {
	var mbit byte
	if masked {
		mbit = 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n <= 125:
		f = append(f, mbit|byte(n))
	case n <= 0xffff:
		f = append(f, mbit|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, mbit|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	if !masked {
		return append(f, payload...)
	}
	f = append(f, fuzzKey[:]...)
	for i, b := range payload {
		f = append(f, b^fuzzKey[i%4])
	}
	return f
}

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0x81, 0x85, 1, 2, 3, 4, 'h', 'e', 'l', 'l', 'o'})
	f.Add([]byte{0x82, 0x7e, 0x01, 0x00})
	f.Add([]byte{0x82, 0x7e, 0x00, 0x10}) // 16-bit field for a short length
	f.Add([]byte{0x02, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 9, 9, 9, 9})
	f.Add([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9})
	f.Add([]byte{0xf9, 0x80})
	f.Add([]byte{0x88})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h header
		n, err := parseHeader(b, &h)
		if n < 0 || n > maxHeaderSize || n > len(b) {
			t.Fatalf("parseHeader(%x) = %d", b, n)
		}
		if len(b) < 2 {
			if n != 0 || err != nil {
				t.Fatalf("parseHeader(%x) = %d, %v on a partial header", b, n, err)
			}
			return
		}
		want := 2 + map[byte]int{126: 2, 127: 8}[b[1]&0x7f]
		if b[1]&0x80 != 0 {
			want += 4
		}
		if len(b) < want {
			if n != 0 || err != nil {
				t.Fatalf("parseHeader(%x) = %d, %v on a partial header of %d bytes", b, n, err, want)
			}
			return
		}
		if n != want {
			t.Fatalf("parseHeader(%x) = %d, want %d", b, n, want)
		}
		// Every strict prefix is incomplete.
		for k := 0; k < n; k++ {
			var hp header
			if m, err := parseHeader(b[:k], &hp); m != 0 || err != nil {
				t.Fatalf("prefix %x of a %d-byte header: %d, %v", b[:k], n, m, err)
			}
		}
		if err != nil {
			if !errors.Is(err, errHeaderLength) || b[1]&0x7f != 127 || b[2]&0x80 == 0 {
				t.Fatalf("parseHeader(%x): unexpected error %v", b, err)
			}
			return
		}
		if b[1]&0x7f == 127 && b[2]&0x80 != 0 {
			t.Fatalf("parseHeader(%x) accepted a length with its top bit set", b)
		}
		if h.fin != (b[0]&0x80 != 0) || h.rsv != b[0]&0x70 || h.op != opcode(b[0]&0x0f) || h.masked != (b[1]&0x80 != 0) {
			t.Fatalf("parseHeader(%x) = %+v", b, h)
		}
		if h.length < 0 {
			t.Fatalf("parseHeader(%x): negative length %d", b, h.length)
		}
		if h.masked && !bytes.Equal(h.maskKey[:], b[n-4:n]) {
			t.Fatalf("parseHeader(%x): mask key %x", b, h.maskKey)
		}

		var enc [maxHeaderSize]byte
		m := putHeader(enc[:], h.fin, h.rsv, h.op, int(h.length), h.masked, h.maskKey)
		l7 := b[1] & 0x7f
		minimal := l7 <= 125 || l7 == 126 && h.length > 125 || l7 == 127 && h.length > 0xffff
		if minimal && !bytes.Equal(enc[:m], b[:n]) {
			t.Fatalf("header %x re-encoded as %x", b[:n], enc[:m])
		}
		if !minimal && m >= n {
			t.Fatalf("non-minimal header %x re-encoded as %x, not shorter", b[:n], enc[:m])
		}
		var h2 header
		if n2, err := parseHeader(enc[:m], &h2); n2 != m || err != nil || h2 != h {
			t.Fatalf("re-encoded header %x parses as %+v (%d, %v), want %+v", enc[:m], h2, n2, err, h)
		}
	})
}

// utf8Completable reports whether p is a prefix of some valid UTF-8
// text. A cut-short code point needs at most three more bytes, and one
// of 0x80, 0x90 and 0xA0 lies in every range a continuation byte may
// have to fall in, so trying those suffices.
func utf8Completable(p []byte) bool {
	if utf8.Valid(p) {
		return true
	}
	cands := []byte{0x80, 0x90, 0xa0}
	buf := append([]byte(nil), p...)
	var try func(depth int) bool
	try = func(depth int) bool {
		if depth == 0 {
			return false
		}
		for _, c := range cands {
			buf = append(buf, c)
			if utf8.Valid(buf) || try(depth-1) {
				return true
			}
			buf = buf[:len(buf)-1]
		}
		return false
	}
	return try(3)
}

func FuzzUTF8(f *testing.F) {
	for _, s := range []string{
		"", "hello", "κόσμε", "\xf0\x9f\x98\x80 emoji", "\xed\xa0\x80", "\xc0\xaf", "\xe0\x80\xaf",
		"\xf4\x90\x80\x80", "\xf4\x8f\xbf\xbf", "abcdefgh\xe2\x82\xacijklmnop", "\xe2\x82", "\x80",
		"\xef\xbb\xbf\xef\xbf\xbe", strings.Repeat("é", 20) + "\xff",
	} {
		f.Add([]byte(s), uint16(len(s)/2), uint16(len(s)/3))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2 uint16) {
		want := utf8.Valid(data)
		if got := validUTF8(data); got != want {
			t.Fatalf("validUTF8(%q) = %v, want %v", data, got, want)
		}
		// Any split into three writes gives the same answer.
		a := int(cut1) % (len(data) + 1)
		b := a + int(cut2)%(len(data)-a+1)
		var v utf8Validator
		ok := v.write(data[:a]) && v.write(data[a:b]) && v.write(data[b:]) && v.complete()
		if ok != want {
			t.Fatalf("%q split at %d and %d: %v, want %v", data, a, b, ok, want)
		}
		if len(data) > 256 {
			return
		}
		// Section 8.1: the first byte that no valid text can continue is
		// reported at once, and never earlier, whichever way the bytes
		// come in.
		for _, step := range []int{1, 3, 7} {
			var v utf8Validator
			for i := 0; i < len(data); i += step {
				end := min(i+step, len(data))
				ok := v.write(data[i:end])
				if ok != utf8Completable(data[:end]) {
					t.Fatalf("%q in writes of %d: after %d bytes the validator says %v", data, step, end, ok)
				}
				if !ok {
					break
				}
			}
		}
	})
}

// socketPair returns the two ends of a connected Unix stream socket: real
// sockets, with CloseWrite and readiness-based reads, and no ports used.
func socketPair(t testing.TB) (net.Conn, net.Conn) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]net.Conn, 2)
	for i, fd := range fds {
		file := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(file)
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	return conns[0], conns[1]
}

// readPeerFrame reads one frame as the peer sees it, unmasking it.
func readPeerFrame(r io.Reader) (b0 byte, masked bool, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	b0, masked = h[0], h[1]&0x80 != 0
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err = io.ReadFull(r, ext[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err = io.ReadFull(r, ext[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	var key [4]byte
	if masked {
		if _, err = io.ReadFull(r, key[:]); err != nil {
			return
		}
	}
	if n > 1<<20 {
		err = errors.New("frame too long for a test")
		return
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return
	}
	for i := range payload {
		payload[i] ^= key[i%4]
	}
	return
}

func FuzzCloseFrame(f *testing.F) {
	for _, p := range [][]byte{
		nil, {0x03}, {0x03, 0xe8}, append([]byte{0x03, 0xe8}, "bye"...), {0x03, 0xec}, {0x03, 0xed},
		{0x03, 0xee}, {0x03, 0xf4}, {0x0b, 0xb8}, {0x13, 0x87}, {0x13, 0x88}, {0, 0},
		append([]byte{0x03, 0xe8}, "\xff"...), append([]byte{0x0f, 0xa0}, "κόσμε"...),
	} {
		f.Add(p, false)
		f.Add(p, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, client bool) {
		if len(body) > maxControlPayload {
			body = body[:maxControlPayload]
		}
		local, peer := socketPair(t)
		defer peer.Close()
		c := newConn(local, connConfig{client: client})
		defer c.CloseNow()

		type reply struct {
			masked bool
			op     opcode
			body   []byte
			err    error
		}
		replies := make(chan reply, 1)
		go func() {
			peer.SetDeadline(time.Now().Add(fuzzWait))
			_, err := peer.Write(fuzzFrame(0x80|byte(opClose), body, !client))
			var r reply
			if err == nil {
				var b0 byte
				b0, r.masked, r.body, err = readPeerFrame(peer)
				r.op = opcode(b0 & 0x0f)
			}
			r.err = err
			// As a server would: close TCP once the closing handshake is
			// done.
			peer.Close()
			replies <- r
		}()

		ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
		defer cancel()
		_, _, err := c.Read(ctx)
		var ce *CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("close body %x: Read returned %v, want a *CloseError", body, err)
		}
		var wantCode StatusCode
		wantLocal := true
		switch {
		case len(body) == 0:
			wantCode, wantLocal = StatusNoStatusRcvd, false
		case len(body) == 1:
			wantCode = StatusProtocolError
		case !StatusCode(binary.BigEndian.Uint16(body)).validOnWire():
			wantCode = StatusProtocolError
		case !utf8.Valid(body[2:]):
			wantCode = StatusInvalidFramePayloadData
		default:
			wantCode, wantLocal = StatusCode(binary.BigEndian.Uint16(body)), false
		}
		if ce.Code != wantCode || ce.Local != wantLocal {
			t.Fatalf("close body %x: got %+v, want code %v local %v", body, ce, wantCode, wantLocal)
		}
		if !wantLocal && ce.Reason != string(body[min(2, len(body)):]) {
			t.Fatalf("close body %x: reason %q", body, ce.Reason)
		}

		var r reply
		select {
		case r = <-replies:
		case <-time.After(2 * fuzzWait):
			t.Fatal("peer did not get an answer")
		}
		if r.err != nil {
			t.Fatalf("close body %x: peer reading the answer: %v", body, r.err)
		}
		if r.op != opClose || r.masked != client {
			t.Fatalf("close body %x: answer has opcode %v, masked %v", body, r.op, r.masked)
		}
		switch {
		case wantCode == StatusNoStatusRcvd:
			if len(r.body) != 0 {
				t.Fatalf("close without status answered with %x", r.body)
			}
		case len(r.body) < 2 || StatusCode(binary.BigEndian.Uint16(r.body)) != wantCode:
			t.Fatalf("close body %x answered with %x, want code %v", body, r.body, wantCode)
		case !utf8.Valid(r.body[2:]):
			t.Fatalf("answer %x has a reason that is not UTF-8", r.body)
		}
	})
}

// hijackRecorder is a ResponseRecorder whose connection can be taken
// over, as Accept needs.
type hijackRecorder struct {
	*httptest.ResponseRecorder
	conn     net.Conn
	rest     *bufio.Reader // what follows the request
	hijacked bool
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	return h.conn, bufio.NewReadWriter(h.rest, bufio.NewWriter(h.conn)), nil
}

func FuzzHandshake(f *testing.F) {
	valid := "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, s := range []string{
		valid + "\r\n",
		valid + "Origin: http://server.example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n",
		valid + "Origin: https://a.example.com:8443\r\n\r\n",
		valid + "Origin: null\r\n\r\n",
		valid + "\r\n" + string(fuzzFrame(0x81, []byte("early"), true)),
		strings.Replace(valid, "GET", "POST", 1) + "Content-Length: 3\r\n\r\nabc",
		strings.Replace(valid, "HTTP/1.1", "HTTP/1.0", 1) + "\r\n",
		strings.Replace(valid, "13", "12", 1) + "\r\n",
		strings.Replace(valid, "Connection: Upgrade", "Connection: keep-alive, UPGRADE", 1) + "\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	opts := &AcceptOptions{
		Subprotocols:   []string{"superchat", "chat"},
		OriginPatterns: []string{"*.example.com", "[", "localhost:8080"},
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		br := bufio.NewReader(bytes.NewReader(raw))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		herr := checkRequest(req)
		if herr == nil {
			if req.Method != http.MethodGet || !req.ProtoAtLeast(1, 1) || !validKey(req.Header.Get("Sec-WebSocket-Key")) {
				t.Fatalf("checkRequest passed %q", raw)
			}
		} else if herr.Reason == "" || strings.ContainsAny(herr.Reason, "\r\n") {
			t.Fatalf("reason %q is not one line", herr.Reason)
		}
		originErr := checkOrigin(req, opts.OriginPatterns)

		local, peer := socketPair(t)
		defer peer.Close()
		defer local.Close()
		rec := &hijackRecorder{ResponseRecorder: httptest.NewRecorder(), conn: local, rest: br}
		type answer struct {
			resp *http.Response
			err  error
		}
		answers := make(chan answer, 1)
		go func() {
			peer.SetDeadline(time.Now().Add(fuzzWait))
			resp, err := http.ReadResponse(bufio.NewReader(peer), nil)
			// Hang up at once, so that the server's reads end.
			peer.Close()
			answers <- answer{resp, err}
		}()

		c, err := Accept(rec, req, opts)
		if herr != nil || originErr != nil {
			var he *HandshakeError
			if c != nil || !errors.As(err, &he) {
				t.Fatalf("Accept of a bad request returned %v, %v", c, err)
			}
			if rec.hijacked || rec.Code != he.Status || strings.TrimSuffix(rec.Body.String(), "\n") != he.Reason {
				t.Fatalf("refusal: hijacked %v, status %d, body %q; error %v", rec.hijacked, rec.Code, rec.Body, err)
			}
			switch he.Status {
			case http.StatusBadRequest, http.StatusForbidden, http.StatusMethodNotAllowed, http.StatusUpgradeRequired:
			default:
				t.Fatalf("refused with status %d", he.Status)
			}
			return
		}
		if err != nil {
			t.Fatalf("Accept of a good request: %v", err)
		}
		defer c.CloseNow()
		var a answer
		select {
		case a = <-answers:
		case <-time.After(2 * fuzzWait):
			t.Fatal("no response")
		}
		if a.err != nil {
			t.Fatalf("reading the 101: %v", a.err)
		}
		if a.resp.StatusCode != http.StatusSwitchingProtocols ||
			a.resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(req.Header.Get("Sec-WebSocket-Key")) {
			t.Fatalf("response %s %v", a.resp.Status, a.resp.Header)
		}
		if p := a.resp.Header.Get("Sec-WebSocket-Protocol"); p != c.Subprotocol() || p != "" && !hasToken(req.Header, "Sec-WebSocket-Protocol", p) {
			t.Fatalf("chose subprotocol %q (conn says %q) from %q", p, c.Subprotocol(), req.Header.Values("Sec-WebSocket-Protocol"))
		}
		// Whatever followed the request is read as frames and ends in an
		// error, since the peer has hung up.
		ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
		defer cancel()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					t.Fatal("reading the early bytes hung")
				}
				break
			}
		}
	})
}

func FuzzReadFrames(f *testing.F) {
	text := func(s string) []byte { return fuzzFrame(0x81, []byte(s), true) }
	cat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	seeds := [][]byte{
		text("hello"),
		cat(text("one"), fuzzFrame(0x82, []byte{1, 2, 3}, true), fuzzFrame(0x88, []byte{0x03, 0xe8}, true)),
		cat(fuzzFrame(0x01, []byte("frag"), true), fuzzFrame(0x89, []byte("ping"), true), fuzzFrame(0x80, []byte("ment"), true)),
		cat(fuzzFrame(0x01, []byte("\xe2"), true), fuzzFrame(0x00, []byte("\x82"), true), fuzzFrame(0x80, []byte("\xac"), true)),
		text("bad \xff utf-8"),
		fuzzFrame(0x82, bytes.Repeat([]byte("x"), 300), true),
		fuzzFrame(0x82, bytes.Repeat([]byte("y"), 70000), true)[:200],
		fuzzFrame(0x81, []byte("unmasked"), false),
		cat(fuzzFrame(0x81, []byte("a"), false), fuzzFrame(0x88, nil, false)),
		{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4},
		{0xc1, 0x80, 1, 2, 3, 4},
		fuzzFrame(0x8a, []byte("pong"), true),
	}
	for i, s := range seeds {
		f.Add(s, byte(i), uint16(i*7))
	}
	f.Fuzz(func(t *testing.T, data []byte, flags byte, split uint16) {
		client := flags&1 != 0
		usePipe := flags&2 != 0
		streaming := flags&4 != 0
		limit := int64(64) << (flags >> 3 & 7) // 64 B to 8 KiB
		cut := int(split) % (len(data) + 1)

		var local, peer net.Conn
		if usePipe {
			local, peer = net.Pipe()
		} else {
			local, peer = socketPair(t)
		}
		defer peer.Close()
		// The first part of the input arrives with the handshake, the
		// rest over the connection.
		c := newConn(local, connConfig{client: client, readLimit: limit, buffered: data[:cut]})
		defer c.CloseNow()

		peerDone := make(chan struct{})
		go func() {
			// Drain what the connection sends (pongs, close frames).
			defer close(peerDone)
			peer.SetReadDeadline(time.Now().Add(fuzzWait))
			io.Copy(io.Discard, peer)
		}()
		go func() {
			peer.SetWriteDeadline(time.Now().Add(fuzzWait))
			peer.Write(data[cut:])
			// End of input: half-close where possible, so that the
			// connection can still answer.
			if cw, ok := peer.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			} else {
				peer.Close()
			}
		}()

		ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
		defer cancel()
		var err error
		for msgs := 0; ; msgs++ {
			var typ MessageType
			var p []byte
			if streaming {
				var r io.Reader
				typ, r, err = c.Reader(ctx)
				if err == nil {
					var buf bytes.Buffer
					chunk := make([]byte, 1+int(flags)%13)
					for {
						n, rerr := r.Read(chunk)
						buf.Write(chunk[:n])
						if rerr == io.EOF {
							break
						}
						if rerr != nil {
							err = rerr
							break
						}
					}
					p = buf.Bytes()
				}
			} else {
				typ, p, err = c.Read(ctx)
			}
			if err != nil {
				break
			}
			if typ != MessageText && typ != MessageBinary {
				t.Fatalf("message of type %v", typ)
			}
			if int64(len(p)) > limit {
				t.Fatalf("%d-byte message over the limit of %d", len(p), limit)
			}
			if typ == MessageText && !utf8.Valid(p) {
				t.Fatalf("text message %q is not UTF-8", p)
			}
			if msgs > len(data) {
				t.Fatal("more messages than bytes")
			}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("reading %x hung", data)
		}
		var ce *CloseError
		if errors.As(err, &ce) {
			switch {
			case ce.Local:
				switch ce.Code {
				case StatusProtocolError, StatusInvalidFramePayloadData, StatusMessageTooBig:
				default:
					t.Fatalf("failed with unexpected code %v", ce.Code)
				}
			case ce.Code != StatusNoStatusRcvd && !ce.Code.validOnWire():
				t.Fatalf("peer's close with invalid code %v accepted", ce.Code)
			}
		}
		// A second read gives the same answer.
		if _, _, err2 := c.Read(ctx); err2 == nil || errors.Is(err2, context.DeadlineExceeded) {
			t.Fatalf("read after %v: %v", err, err2)
		}
		c.CloseNow()
		peer.Close()
		select {
		case <-peerDone:
		case <-time.After(2 * fuzzWait):
			t.Fatal("peer did not finish")
		}
	})
}

// FuzzUpgradeHead checks ServeListener's reading of a request head
// against net/http's: a head that parseUpgradeHead accepts must be one
// that a net/http server accepts too, and make the same request.
func FuzzUpgradeHead(f *testing.F) {
	valid := "GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, s := range []string{
		valid + "\r\n",
		valid + "Pragma: no-cache\r\nCookie: a=b; c=d\r\nx-dup: 1\r\nX-Dup: 2\r\n\r\n",
		valid + "X-Trim: \t v \t\r\nX-Empty:\r\n\r\n",
		strings.Replace(valid, "server.example.com", "[::1]:8080", 1) + "\r\n",
		strings.Replace(valid, "/chat?x=1", "/a%2Fb/%zz", 1) + "\r\n",
		strings.Replace(valid, "\r\n", "\n", -1) + "\n",
		valid + " folded\r\n\r\n",
		valid + "Host: second\r\n\r\n",
		valid + "Content-Length: 0\r\n\r\n",
		strings.Replace(valid, "/chat?x=1", "/a!b*(c)/d#e?", 1) + "\r\n",
		strings.Replace(valid, "/chat?x=1", "//x/$&+,;=@:~_.-?q??", 1) + "\r\n",
		valid + "x-" + strings.Repeat("long-", 20) + "name: v\r\nPragma: x\r\nPragma: no-cache\r\nCache-Control: max-age=0\r\n\r\n",
		valid + "Origin: http://server.example.com\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	seen := make(chan *http.Request, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r
		w.WriteHeader(http.StatusNoContent)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	f.Fuzz(func(t *testing.T, raw []byte) {
		n := headEnd(raw)
		if n == 0 {
			return
		}
		head := raw[:n]
		got := new(http.Request)
		if !parseUpgradeHead(head, got) {
			return
		}
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		nc.Write(head)
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatalf("net/http's answer to %q: %v", head, err)
		}
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("net/http refuses %q with %d, which ServeListener reads", head, resp.StatusCode)
		}
		want := <-seen
		if got.Method != want.Method || got.RequestURI != want.RequestURI || got.Proto != want.Proto ||
			got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor || got.Host != want.Host ||
			got.Close != want.Close || got.ContentLength != want.ContentLength || !reflect.DeepEqual(*got.URL, *want.URL) ||
			!reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("head %q:\nnet/http:      %+v %+v\nServeListener: %+v %+v", head, want, want.URL, got, got.URL)
		}
	})
}

// FuzzOriginHost checks originHost, which reads the common origins
// itself, against url.Parse.
func FuzzOriginHost(f *testing.F) {
	for _, s := range []string{"http://example.com", "https://a.b:8443", "http://[::1]:80", "null", "http://a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(testOriginHost)
}
