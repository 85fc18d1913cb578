package websocket_test

// Raw-frame tests: the peer is driven byte by byte over a real TCP
// connection, so that every rule of RFC 6455 that a well-behaved peer
// never breaks can be broken on purpose, and the close code, the TCP
// close and the error the application sees can all be checked.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/duplexrt/duplex/websocket"
)

// Frame header bits and opcodes, as they appear on the wire.
const (
	wFin   = 0x80
	wRsv1  = 0x40
	wRsv2  = 0x20
	wRsv3  = 0x10
	wCont  = 0x0
	wText  = 0x1
	wBin   = 0x2
	wClose = 0x8
	wPing  = 0x9
	wPong  = 0xA
)

// rawWait bounds every wait of the raw tests.
const rawWait = 5 * time.Second

// rawMaskKey is the masking key of every frame the raw client sends. It
// has no zero byte, so that a missing unmask shows.
var rawMaskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// rfcKey and rfcAccept are the example of RFC 6455, section 1.3.
const (
	rfcKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	rfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// wantAccept computes Sec-WebSocket-Accept for key (section 4.2.2).
func wantAccept(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// wireHeader encodes a frame header whose first byte is b0, announcing
// length bytes of payload, with the shortest length encoding.
func wireHeader(b0 byte, length uint64, masked bool) []byte {
	h := []byte{b0, 0}
	var mbit byte
	if masked {
		mbit = 0x80
	}
	switch {
	case length <= 125:
		h[1] = mbit | byte(length)
	case length <= 0xffff:
		h[1] = mbit | 126
		h = binary.BigEndian.AppendUint16(h, uint16(length))
	default:
		h[1] = mbit | 127
		h = binary.BigEndian.AppendUint64(h, length)
	}
	if masked {
		h = append(h, rawMaskKey[:]...)
	}
	return h
}

// wireFrame encodes a whole frame; a masked frame uses rawMaskKey.
func wireFrame(b0 byte, payload []byte, masked bool) []byte {
	f := wireHeader(b0, uint64(len(payload)), masked)
	start := len(f)
	f = append(f, payload...)
	if masked {
		for i := range payload {
			f[start+i] ^= rawMaskKey[i%4]
		}
	}
	return f
}

// closeBody builds a close frame's body.
func closeBody(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// gotFrame is a frame read off the wire, its payload unmasked.
type gotFrame struct {
	fin    bool
	rsv    byte
	op     byte
	masked bool
	// firstLen is the 7-bit length field, to check minimal encodings.
	firstLen byte
	payload  []byte
}

// readWireFrame reads one frame. It refuses payloads over 1 MiB, so a
// broken peer cannot make the test allocate without bound.
func readWireFrame(r io.Reader) (gotFrame, error) {
	var f gotFrame
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return f, err
	}
	f.fin = h[0]&0x80 != 0
	f.rsv = h[0] & 0x70
	f.op = h[0] & 0x0f
	f.masked = h[1]&0x80 != 0
	f.firstLen = h[1] & 0x7f
	n := uint64(f.firstLen)
	switch f.firstLen {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	var key [4]byte
	if f.masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return f, err
		}
	}
	if n > 1<<20 {
		return f, fmt.Errorf("frame announces %d bytes", n)
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return f, err
	}
	if f.masked {
		for i := range f.payload {
			f.payload[i] ^= key[i%4]
		}
	}
	return f, nil
}

// rawServer is a server built on Accept that echoes every message; the
// error that ended its reading goes to errc.
type rawServer struct {
	addr string
	errc chan error
}

// startRawServer starts a rawServer. setup, if not nil, runs on each
// accepted connection before reading starts.
func startRawServer(t *testing.T, opts *websocket.AcceptOptions, setup func(*websocket.Conn)) *rawServer {
	t.Helper()
	rs := &rawServer{errc: make(chan error, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				rs.errc <- fmt.Errorf("server panicked: %v", p)
			}
		}()
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			rs.errc <- err
			return
		}
		defer c.CloseNow()
		if setup != nil {
			setup(c)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*rawWait)
		defer cancel()
		for {
			typ, p, err := c.Read(ctx)
			if err != nil {
				rs.errc <- err
				return
			}
			if err := c.Write(ctx, typ, p); err != nil {
				rs.errc <- fmt.Errorf("echo: %w", err)
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	rs.addr = srv.Listener.Addr().String()
	return rs
}

// serverErr waits for the error that ended the server's reading.
func (rs *rawServer) serverErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-rs.errc:
		return err
	case <-time.After(3 * rawWait):
		t.Fatal("server's Read did not return")
		return nil
	}
}

// rawClient is the client side of a raw connection.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// upgradeRequest is an opening handshake written by hand.
func upgradeRequest(host string) string {
	return "GET /chat HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + rfcKey + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
}

// dialRaw connects to addr and performs the opening handshake by hand;
// early, if not empty, goes out in the same write as the request.
func dialRaw(t *testing.T, addr string, early []byte) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, rawWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(rawWait))
	if _, err := nc.Write(append([]byte(upgradeRequest(addr)), early...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading handshake response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake answered %s", resp.Status)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != rfcAccept {
		t.Fatalf("Sec-WebSocket-Accept %q, want %q", got, rfcAccept)
	}
	nc.SetDeadline(time.Time{})
	return &rawClient{t: t, nc: nc, br: br}
}

// send writes raw bytes.
func (rc *rawClient) send(parts ...[]byte) {
	rc.t.Helper()
	rc.nc.SetWriteDeadline(time.Now().Add(rawWait))
	if _, err := rc.nc.Write(bytes.Join(parts, nil)); err != nil {
		rc.t.Fatalf("send: %v", err)
	}
}

// next reads the next frame from the server, which must be unmasked.
func (rc *rawClient) next() gotFrame {
	rc.t.Helper()
	rc.nc.SetReadDeadline(time.Now().Add(rawWait))
	f, err := readWireFrame(rc.br)
	if err != nil {
		rc.t.Fatalf("reading a frame from the server: %v", err)
	}
	if f.masked {
		rc.t.Fatalf("server sent a masked frame (opcode %#x)", f.op)
	}
	if f.rsv != 0 {
		rc.t.Fatalf("server set reserved bits %#x", f.rsv)
	}
	return f
}

// expectClose reads the server's close frame, checks its code, and
// checks that the server then closes TCP. It returns the reason.
func (rc *rawClient) expectClose(code websocket.StatusCode) string {
	rc.t.Helper()
	f := rc.next()
	if f.op != wClose {
		rc.t.Fatalf("got a frame with opcode %#x (%q), want a close frame with %v", f.op, f.payload, code)
	}
	if !f.fin {
		rc.t.Fatal("close frame without FIN")
	}
	if code == websocket.StatusNoStatusRcvd {
		if len(f.payload) != 0 {
			rc.t.Fatalf("close body %q, want empty", f.payload)
		}
		rc.expectEOF()
		return ""
	}
	if len(f.payload) < 2 {
		rc.t.Fatalf("close frame body %q has no code, want %v", f.payload, code)
	}
	if got := websocket.StatusCode(binary.BigEndian.Uint16(f.payload)); got != code {
		rc.t.Fatalf("close code %v (reason %q), want %v", got, f.payload[2:], code)
	}
	reason := string(f.payload[2:])
	if !utf8.ValidString(reason) {
		rc.t.Fatalf("close reason %q is not UTF-8", reason)
	}
	rc.expectEOF()
	return reason
}

// expectEOF checks that the server closes TCP: nothing but end of file
// arrives before the deadline.
func (rc *rawClient) expectEOF() {
	rc.t.Helper()
	rc.nc.SetReadDeadline(time.Now().Add(rawWait))
	extra, err := io.ReadAll(rc.br)
	if len(extra) > 0 {
		rc.t.Fatalf("%d bytes after the close frame: %q", len(extra), extra)
	}
	if err != nil {
		rc.t.Fatalf("server did not close TCP after its close frame: %v", err)
	}
}

// expectLocalClose checks the error of the server's Read: the server
// failed the connection with code.
func expectLocalClose(t *testing.T, err error, code websocket.StatusCode) {
	t.Helper()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("server's Read returned %v (%T), want a *websocket.CloseError", err, err)
	}
	if !ce.Local || ce.Code != code {
		t.Fatalf("server's Read returned %+v, want Local with code %v", ce, code)
	}
}

// violation sends bytes that break the protocol and checks that the
// server fails the connection with code.
func violation(t *testing.T, opts *websocket.AcceptOptions, setup func(*websocket.Conn), code websocket.StatusCode, frames ...[]byte) {
	t.Helper()
	rs := startRawServer(t, opts, setup)
	rc := dialRaw(t, rs.addr, nil)
	rc.send(frames...)
	rc.expectClose(code)
	expectLocalClose(t, rs.serverErr(t), code)
}

func TestViolationControlPayloadTooLong(t *testing.T) {
	t.Parallel()
	for _, op := range []byte{wPing, wPong, wClose} {
		t.Run(fmt.Sprintf("op%#x", op), func(t *testing.T) {
			t.Parallel()
			payload := bytes.Repeat([]byte("x"), 126)
			if op == wClose {
				payload = closeBody(1000, strings.Repeat("x", 124))
			}
			violation(t, nil, nil, websocket.StatusProtocolError, wireFrame(wFin|op, payload, true))
		})
	}
}

func TestControlPayload125Allowed(t *testing.T) {
	t.Parallel()
	rs := startRawServer(t, nil, nil)
	rc := dialRaw(t, rs.addr, nil)
	payload := bytes.Repeat([]byte("p"), 125)
	rc.send(wireFrame(wFin|wPing, payload, true))
	if f := rc.next(); f.op != wPong || !bytes.Equal(f.payload, payload) {
		t.Fatalf("got opcode %#x with %d bytes, want a pong of the 125-byte payload", f.op, len(f.payload))
	}
}

func TestViolationFragmentedControl(t *testing.T) {
	t.Parallel()
	for _, op := range []byte{wPing, wPong, wClose} {
		t.Run(fmt.Sprintf("op%#x", op), func(t *testing.T) {
			t.Parallel()
			var payload []byte
			if op == wClose {
				payload = closeBody(1000, "")
			}
			violation(t, nil, nil, websocket.StatusProtocolError, wireFrame(op, payload, true))
		})
	}
	t.Run("inside a fragmented message", func(t *testing.T) {
		t.Parallel()
		violation(t, nil, nil, websocket.StatusProtocolError,
			wireFrame(wText, []byte("par"), true),
			wireFrame(wPing, []byte("x"), true))
	})
}

func TestViolationUnknownOpcode(t *testing.T) {
	t.Parallel()
	for _, op := range []byte{3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF} {
		t.Run(fmt.Sprintf("op%#x", op), func(t *testing.T) {
			t.Parallel()
			violation(t, nil, nil, websocket.StatusProtocolError, wireFrame(wFin|op, []byte("?"), true))
		})
	}
	t.Run("inside a fragmented message", func(t *testing.T) {
		t.Parallel()
		violation(t, nil, nil, websocket.StatusProtocolError,
			wireFrame(wBin, []byte{1}, true),
			wireFrame(wFin|0x3, []byte{2}, true))
	})
}

func TestViolationReservedBits(t *testing.T) {
	t.Parallel()
	for _, rsv := range []byte{wRsv1, wRsv2, wRsv3, wRsv1 | wRsv2 | wRsv3} {
		for _, op := range []byte{wText, wBin, wPing} {
			t.Run(fmt.Sprintf("rsv%#x-op%#x", rsv, op), func(t *testing.T) {
				t.Parallel()
				violation(t, nil, nil, websocket.StatusProtocolError, wireFrame(wFin|rsv|op, []byte("hi"), true))
			})
		}
	}
	t.Run("on a continuation frame", func(t *testing.T) {
		t.Parallel()
		violation(t, nil, nil, websocket.StatusProtocolError,
			wireFrame(wText, []byte("a"), true),
			wireFrame(wFin|wRsv1|wCont, []byte("b"), true))
	})
}

func TestViolationContinuationWithoutMessage(t *testing.T) {
	t.Parallel()
	for _, b0 := range []byte{wFin | wCont, wCont} {
		t.Run(fmt.Sprintf("b0=%#x", b0), func(t *testing.T) {
			t.Parallel()
			violation(t, nil, nil, websocket.StatusProtocolError, wireFrame(b0, []byte("orphan"), true))
		})
	}
	t.Run("after a finished message", func(t *testing.T) {
		t.Parallel()
		rs := startRawServer(t, nil, nil)
		rc := dialRaw(t, rs.addr, nil)
		rc.send(wireFrame(wFin|wText, []byte("done"), true))
		if f := rc.next(); f.op != wText || string(f.payload) != "done" {
			t.Fatalf("echo: opcode %#x %q", f.op, f.payload)
		}
		rc.send(wireFrame(wFin|wCont, []byte("more"), true))
		rc.expectClose(websocket.StatusProtocolError)
		expectLocalClose(t, rs.serverErr(t), websocket.StatusProtocolError)
	})
}

func TestViolationNewMessageDuringFragmented(t *testing.T) {
	t.Parallel()
	for _, ops := range [][2]byte{{wText, wText}, {wText, wBin}, {wBin, wText}, {wBin, wBin}} {
		for _, fin := range []byte{0, wFin} {
			t.Run(fmt.Sprintf("%#x-then-%#x-fin%v", ops[0], ops[1], fin != 0), func(t *testing.T) {
				t.Parallel()
				violation(t, nil, nil, websocket.StatusProtocolError,
					wireFrame(ops[0], []byte("first"), true),
					wireFrame(fin|ops[1], []byte("second"), true))
			})
		}
	}
}

func TestViolationUnmaskedClientFrame(t *testing.T) {
	t.Parallel()
	cases := map[string][]byte{
		"text":  wireFrame(wFin|wText, []byte("hello"), false),
		"empty": wireFrame(wFin|wBin, nil, false),
		"ping":  wireFrame(wFin|wPing, []byte("p"), false),
		"close": wireFrame(wFin|wClose, closeBody(1000, ""), false),
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			violation(t, nil, nil, websocket.StatusProtocolError, f)
		})
	}
	t.Run("continuation", func(t *testing.T) {
		t.Parallel()
		violation(t, nil, nil, websocket.StatusProtocolError,
			wireFrame(wText, []byte("masked"), true),
			wireFrame(wFin|wCont, []byte("unmasked"), false))
	})
}

func TestViolationLengthMSB(t *testing.T) {
	t.Parallel()
	for _, length := range []uint64{1 << 63, 1<<64 - 1} {
		t.Run(fmt.Sprintf("%#x", length), func(t *testing.T) {
			t.Parallel()
			h := []byte{wFin | wBin, 0x80 | 127}
			h = binary.BigEndian.AppendUint64(h, length)
			h = append(h, rawMaskKey[:]...)
			violation(t, nil, nil, websocket.StatusProtocolError, h)
		})
	}
}

func TestViolationCloseOneByteBody(t *testing.T) {
	t.Parallel()
	violation(t, nil, nil, websocket.StatusProtocolError, wireFrame(wFin|wClose, []byte{0x03}, true))
}

// closeCodeValid mirrors the rule of RFC 6455, section 7.4, as the
// package declares it: 1000-1003, 1007-1011 and 3000-4999.
func closeCodeValid(c int) bool {
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) || (c >= 3000 && c <= 4999)
}

func TestViolationInvalidCloseCodes(t *testing.T) {
	t.Parallel()
	for _, code := range []uint16{0, 1, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		if closeCodeValid(int(code)) {
			t.Fatalf("test table lists valid code %d", code)
		}
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			violation(t, nil, nil, websocket.StatusProtocolError, wireFrame(wFin|wClose, closeBody(code, "bad"), true))
		})
	}
}

func TestValidCloseCodesEchoed(t *testing.T) {
	t.Parallel()
	for _, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		if !closeCodeValid(int(code)) {
			t.Fatalf("test table lists invalid code %d", code)
		}
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			rs := startRawServer(t, nil, nil)
			rc := dialRaw(t, rs.addr, nil)
			rc.send(wireFrame(wFin|wClose, closeBody(code, "bye ✓"), true))
			rc.expectClose(websocket.StatusCode(code))
			var ce *websocket.CloseError
			err := rs.serverErr(t)
			if !errors.As(err, &ce) || ce.Local || ce.Code != websocket.StatusCode(code) || ce.Reason != "bye ✓" {
				t.Fatalf("server's Read returned %v, want the peer's close %d", err, code)
			}
		})
	}
	t.Run("empty body", func(t *testing.T) {
		t.Parallel()
		rs := startRawServer(t, nil, nil)
		rc := dialRaw(t, rs.addr, nil)
		rc.send(wireFrame(wFin|wClose, nil, true))
		rc.expectClose(websocket.StatusNoStatusRcvd)
		var ce *websocket.CloseError
		err := rs.serverErr(t)
		if !errors.As(err, &ce) || ce.Local || ce.Code != websocket.StatusNoStatusRcvd {
			t.Fatalf("server's Read returned %v, want the peer's close without status", err)
		}
	})
}

func TestViolationInvalidUTF8(t *testing.T) {
	t.Parallel()
	invalid := []byte("caf\xc3\x28 au lait") // 0xC3 followed by a non-continuation byte
	t.Run("single frame", func(t *testing.T) {
		t.Parallel()
		violation(t, nil, nil, websocket.StatusInvalidFramePayloadData, wireFrame(wFin|wText, invalid, true))
	})
	t.Run("overlong encoding", func(t *testing.T) {
		t.Parallel()
		violation(t, nil, nil, websocket.StatusInvalidFramePayloadData, wireFrame(wFin|wText, []byte("\xc0\xaf"), true))
	})
	t.Run("surrogate", func(t *testing.T) {
		t.Parallel()
		violation(t, nil, nil, websocket.StatusInvalidFramePayloadData, wireFrame(wFin|wText, []byte("\xed\xa0\x80"), true))
	})
	t.Run("message ends inside a code point", func(t *testing.T) {
		t.Parallel()
		violation(t, nil, nil, websocket.StatusInvalidFramePayloadData,
			wireFrame(wText, []byte("euro \xe2"), true),
			wireFrame(wFin|wCont, []byte("\x82"), true))
	})
	t.Run("in a continuation frame", func(t *testing.T) {
		t.Parallel()
		violation(t, nil, nil, websocket.StatusInvalidFramePayloadData,
			wireFrame(wText, []byte("fine so far "), true),
			wireFrame(wFin|wCont, invalid, true))
	})
	t.Run("in a binary message is fine", func(t *testing.T) {
		t.Parallel()
		rs := startRawServer(t, nil, nil)
		rc := dialRaw(t, rs.addr, nil)
		rc.send(wireFrame(wFin|wBin, invalid, true))
		if f := rc.next(); f.op != wBin || !bytes.Equal(f.payload, invalid) {
			t.Fatalf("echo: opcode %#x %q", f.op, f.payload)
		}
	})
	t.Run("code point split across fragments is fine", func(t *testing.T) {
		t.Parallel()
		rs := startRawServer(t, nil, nil)
		rc := dialRaw(t, rs.addr, nil)
		rc.send(wireFrame(wText, []byte("\xf0\x9f"), true),
			wireFrame(wCont, []byte("\x98"), true),
			wireFrame(wFin|wCont, []byte("\x80!"), true))
		if f := rc.next(); f.op != wText || string(f.payload) != "😀!" {
			t.Fatalf("echo: opcode %#x %q", f.op, f.payload)
		}
	})
}

// TestViolationInvalidUTF8FailsFast checks section 8.1's "as soon as":
// the close arrives while the rest of the frame or message has not been
// sent, so the server cannot have waited for it.
func TestViolationInvalidUTF8FailsFast(t *testing.T) {
	t.Parallel()
	t.Run("middle of a frame", func(t *testing.T) {
		t.Parallel()
		rs := startRawServer(t, nil, nil)
		rc := dialRaw(t, rs.addr, nil)
		// The header announces 1000 bytes; only the first 8, with the
		// invalid byte, are ever sent.
		payload := append([]byte("ok \xff"), bytes.Repeat([]byte("a"), 996)...)
		whole := wireFrame(wFin|wText, payload, true)
		rc.send(whole[:len(whole)-len(payload)+8])
		rc.expectClose(websocket.StatusInvalidFramePayloadData)
		expectLocalClose(t, rs.serverErr(t), websocket.StatusInvalidFramePayloadData)
	})
	t.Run("middle of a message", func(t *testing.T) {
		t.Parallel()
		rs := startRawServer(t, nil, nil)
		rc := dialRaw(t, rs.addr, nil)
		// A complete first fragment with the invalid byte; the rest of
		// the message never comes.
		rc.send(wireFrame(wText, []byte("ok \xfe then"), true))
		rc.expectClose(websocket.StatusInvalidFramePayloadData)
		expectLocalClose(t, rs.serverErr(t), websocket.StatusInvalidFramePayloadData)
	})
	t.Run("streaming reader", func(t *testing.T) {
		t.Parallel()
		errc := make(chan error, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				errc <- err
				return
			}
			defer c.CloseNow()
			ctx, cancel := context.WithTimeout(context.Background(), 2*rawWait)
			defer cancel()
			_, mr, err := c.Reader(ctx)
			if err != nil {
				errc <- err
				return
			}
			_, err = io.Copy(io.Discard, mr)
			errc <- err
		}))
		t.Cleanup(srv.Close)
		rc := dialRaw(t, srv.Listener.Addr().String(), nil)
		rc.send(wireFrame(wText, []byte("valid"), true), wireFrame(wCont, []byte("\xc1"), true))
		rc.expectClose(websocket.StatusInvalidFramePayloadData)
		select {
		case err := <-errc:
			expectLocalClose(t, err, websocket.StatusInvalidFramePayloadData)
		case <-time.After(3 * rawWait):
			t.Fatal("streaming read did not return")
		}
	})
}

func TestViolationInvalidUTF8CloseReason(t *testing.T) {
	t.Parallel()
	violation(t, nil, nil, websocket.StatusInvalidFramePayloadData, wireFrame(wFin|wClose, closeBody(1000, "bad \xff reason"), true))
}

// TestViolationMessageTooBig checks that a message over the read limit
// fails the connection as soon as a header announces it: only headers
// are sent, never the oversized payload.
func TestViolationMessageTooBig(t *testing.T) {
	t.Parallel()
	const limit = 100
	withOption := &websocket.AcceptOptions{ReadLimit: limit}
	withSetter := func(c *websocket.Conn) { c.SetReadLimit(limit) }
	cases := []struct {
		name  string
		opts  *websocket.AcceptOptions
		setup func(*websocket.Conn)
		send  [][]byte
	}{
		{"option single frame", withOption, nil, [][]byte{wireHeader(wFin|wBin, limit+1, true)}},
		{"SetReadLimit single frame", nil, withSetter, [][]byte{wireHeader(wFin|wText, limit+1, true)}},
		{"64-bit length", withOption, nil, [][]byte{wireHeader(wFin|wBin, 1<<40, true)}},
		{"default limit", nil, nil, [][]byte{wireHeader(wFin|wBin, websocket.DefaultReadLimit+1, true)}},
		{"fragmented", withOption, nil, [][]byte{
			wireFrame(wText, bytes.Repeat([]byte("a"), 60), true),
			wireHeader(wFin|wCont, 41, true),
		}},
		{"fragmented with SetReadLimit", nil, withSetter, [][]byte{
			wireFrame(wBin, bytes.Repeat([]byte("a"), 50), true),
			wireFrame(wCont, bytes.Repeat([]byte("b"), 50), true),
			wireHeader(wFin|wCont, 1, true),
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			violation(t, tc.opts, tc.setup, websocket.StatusMessageTooBig, tc.send...)
		})
	}
	t.Run("at the limit is fine", func(t *testing.T) {
		t.Parallel()
		rs := startRawServer(t, withOption, nil)
		rc := dialRaw(t, rs.addr, nil)
		msg := bytes.Repeat([]byte("z"), limit)
		rc.send(wireFrame(wText, msg[:30], true), wireFrame(wFin|wCont, msg[30:], true))
		if f := rc.next(); f.op != wText || !bytes.Equal(f.payload, msg) {
			t.Fatalf("echo: opcode %#x, %d bytes", f.op, len(f.payload))
		}
	})
}

func TestPingAnsweredWithSamePayload(t *testing.T) {
	t.Parallel()
	rs := startRawServer(t, nil, nil)
	rc := dialRaw(t, rs.addr, nil)
	for _, payload := range [][]byte{nil, []byte("hello"), {0, 1, 2, 0xff}} {
		rc.send(wireFrame(wFin|wPing, payload, true))
		f := rc.next()
		if f.op != wPong || !f.fin || !bytes.Equal(f.payload, payload) {
			t.Fatalf("ping %q answered with opcode %#x %q", payload, f.op, f.payload)
		}
	}
	// An unsolicited pong is ignored, not answered.
	rc.send(wireFrame(wFin|wPong, []byte("unasked"), true), wireFrame(wFin|wText, []byte("after"), true))
	if f := rc.next(); f.op != wText || string(f.payload) != "after" {
		t.Fatalf("after an unsolicited pong: opcode %#x %q", f.op, f.payload)
	}
}

func TestInterleavedPingInFragmentedMessage(t *testing.T) {
	t.Parallel()
	rs := startRawServer(t, nil, nil)
	rc := dialRaw(t, rs.addr, nil)
	rc.send(
		wireFrame(wText, []byte("Hello, "), true),
		wireFrame(wFin|wPing, []byte("ping-1"), true),
		wireFrame(wCont, []byte("wor"), true),
		wireFrame(wFin|wPong, []byte("stray"), true),
		wireFrame(wFin|wPing, []byte("ping-2"), true),
		wireFrame(wFin|wCont, []byte("ld!"), true),
	)
	for _, want := range []string{"ping-1", "ping-2"} {
		if f := rc.next(); f.op != wPong || string(f.payload) != want {
			t.Fatalf("got opcode %#x %q, want pong %q", f.op, f.payload, want)
		}
	}
	if f := rc.next(); f.op != wText || !f.fin || string(f.payload) != "Hello, world!" {
		t.Fatalf("echo: opcode %#x fin %v %q", f.op, f.fin, f.payload)
	}
	rc.send(wireFrame(wFin|wClose, closeBody(1000, ""), true))
	rc.expectClose(websocket.StatusNormalClosure)
}

// TestFramesInHandshakeSegment sends the first frames in the same write
// as the opening handshake: the server must not lose them.
func TestFramesInHandshakeSegment(t *testing.T) {
	t.Parallel()
	rs := startRawServer(t, nil, nil)
	early := append(wireFrame(wFin|wText, []byte("early"), true), wireFrame(wFin|wBin, []byte{7, 8, 9}, true)...)
	rc := dialRaw(t, rs.addr, early)
	if f := rc.next(); f.op != wText || string(f.payload) != "early" {
		t.Fatalf("first echo: opcode %#x %q", f.op, f.payload)
	}
	if f := rc.next(); f.op != wBin || !bytes.Equal(f.payload, []byte{7, 8, 9}) {
		t.Fatalf("second echo: opcode %#x %q", f.op, f.payload)
	}
}

// TestServerFramesUnmasked checks every kind of frame the server sends.
func TestServerFramesUnmasked(t *testing.T) {
	t.Parallel()
	rs := startRawServer(t, nil, nil)
	rc := dialRaw(t, rs.addr, nil)
	big := bytes.Repeat([]byte("0123456789"), 7000) // 64-bit length field
	mid := bytes.Repeat([]byte("m"), 300)           // 16-bit length field
	rc.send(wireFrame(wFin|wText, []byte("small"), true),
		wireFrame(wFin|wBin, mid, true),
		wireFrame(wFin|wBin, big, true),
		wireFrame(wFin|wPing, []byte("p"), true))
	for _, want := range []struct {
		op       byte
		payload  []byte
		firstLen byte
	}{{wText, []byte("small"), 5}, {wBin, mid, 126}, {wBin, big, 127}, {wPong, []byte("p"), 1}} {
		f := rc.next() // next fails on a masked frame
		if f.op != want.op || !bytes.Equal(f.payload, want.payload) {
			t.Fatalf("got opcode %#x with %d bytes, want %#x with %d", f.op, len(f.payload), want.op, len(want.payload))
		}
		if f.firstLen != want.firstLen {
			t.Fatalf("%d-byte payload sent with length field %d, want %d (minimal encoding)", len(f.payload), f.firstLen, want.firstLen)
		}
	}
	rc.send(wireFrame(wFin|wClose, closeBody(4001, "done"), true))
	rc.expectClose(4001)
}

// fakeServer listens on loopback and hands the first connection, after
// reading its handshake request, to serve. It returns a ws:// URL.
func fakeServer(t *testing.T, serve func(nc net.Conn, br *bufio.Reader, req *http.Request)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(rawWait))
		br := bufio.NewReader(nc)
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Errorf("fake server: reading request: %v", err)
			return
		}
		nc.SetDeadline(time.Time{})
		serve(nc, br, req)
	}()
	t.Cleanup(func() {
		ln.Close()
		select {
		case <-done:
		case <-time.After(3 * rawWait):
			t.Error("fake server did not finish")
		}
	})
	return "ws://" + ln.Addr().String() + "/fake"
}

// switching writes a valid 101 response to req, with extra header lines.
func switching(nc net.Conn, req *http.Request, extra string) error {
	_, err := io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\n"+
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: "+wantAccept(req.Header.Get("Sec-WebSocket-Key"))+"\r\n"+
		extra+"\r\n")
	return err
}

// readClientFrame reads a frame from a client, which must be masked.
func readClientFrame(nc net.Conn, br *bufio.Reader) (gotFrame, error) {
	nc.SetReadDeadline(time.Now().Add(rawWait))
	f, err := readWireFrame(br)
	if err == nil && !f.masked {
		err = fmt.Errorf("client sent an unmasked frame (opcode %#x)", f.op)
	}
	return f, err
}

func dialCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), rawWait)
	t.Cleanup(cancel)
	return ctx
}

func TestClientRejectsMaskedServerFrame(t *testing.T) {
	t.Parallel()
	got := make(chan error, 1)
	url := fakeServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
		got <- func() error {
			if err := switching(nc, req, ""); err != nil {
				return err
			}
			if _, err := nc.Write(wireFrame(wFin|wText, []byte("masked!"), true)); err != nil {
				return err
			}
			f, err := readClientFrame(nc, br)
			if err != nil {
				return err
			}
			if f.op != wClose || len(f.payload) < 2 || binary.BigEndian.Uint16(f.payload) != 1002 {
				return fmt.Errorf("client answered opcode %#x %q, want close 1002", f.op, f.payload)
			}
			nc.SetReadDeadline(time.Now().Add(rawWait))
			if extra, err := io.ReadAll(br); err != nil || len(extra) > 0 {
				return fmt.Errorf("after the close frame: %q, %v; want EOF", extra, err)
			}
			return nil
		}()
	})
	c, _, err := websocket.Dial(dialCtx(t), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, _, err = c.Read(dialCtx(t))
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || !ce.Local || ce.Code != websocket.StatusProtocolError {
		t.Fatalf("client's Read returned %v, want a local close 1002", err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * rawWait):
		t.Fatal("fake server did not finish")
	}
}

// TestClientFramesMasked has a client send every kind of frame to a fake
// server that checks each one is masked with a fresh key.
func TestClientFramesMasked(t *testing.T) {
	t.Parallel()
	type seen struct {
		op      byte
		fin     bool
		payload string
	}
	frames := make(chan seen, 32)
	srvErr := make(chan error, 1)
	url := fakeServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
		srvErr <- func() error {
			defer close(frames)
			if err := switching(nc, req, ""); err != nil {
				return err
			}
			keys := map[[4]byte]bool{}
			for {
				nc.SetReadDeadline(time.Now().Add(rawWait))
				// Peek at the raw masking key, then parse the frame.
				h, err := br.Peek(2)
				if err != nil {
					return err
				}
				if h[1]&0x80 == 0 {
					return fmt.Errorf("client sent an unmasked frame (opcode %#x)", h[0]&0x0f)
				}
				skip := 2 + map[byte]int{126: 2, 127: 8}[h[1]&0x7f]
				raw, err := br.Peek(skip + 4)
				if err != nil {
					return err
				}
				key := [4]byte(raw[skip:])
				if keys[key] {
					return fmt.Errorf("masking key %x used twice", key)
				}
				keys[key] = true
				f, err := readClientFrame(nc, br)
				if err != nil {
					return err
				}
				frames <- seen{f.op, f.fin, string(f.payload)}
				switch f.op {
				case wPing:
					if _, err := nc.Write(wireFrame(wFin|wPong, f.payload, false)); err != nil {
						return err
					}
				case wClose:
					if _, err := nc.Write(wireFrame(wFin|wClose, f.payload[:2], false)); err != nil {
						return err
					}
					return nil
				}
			}
		}()
	})
	c, _, err := websocket.Dial(dialCtx(t), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ctx := dialCtx(t)
	readDone := make(chan error, 1)
	go func() {
		_, _, err := c.Read(ctx)
		readDone <- err
	}()
	if err := c.Write(ctx, websocket.MessageText, []byte("text")); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(ctx, websocket.MessageBinary, bytes.Repeat([]byte{0}, 200)); err != nil {
		t.Fatal(err)
	}
	w, err := c.Writer(ctx, websocket.MessageText)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "frag1")
	io.WriteString(w, "frag2")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := c.Close(websocket.StatusGoingAway, "leaving"); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := <-srvErr; err != nil {
		t.Fatal(err)
	}
	var got []seen
	for f := range frames {
		if f.op == wPing {
			f.payload = "" // the ping's payload is the package's business
		}
		got = append(got, f)
	}
	want := []seen{
		{wText, true, "text"},
		{wBin, true, string(bytes.Repeat([]byte{0}, 200))},
		{wText, false, "frag1"},
		{wCont, false, "frag2"},
		{wCont, true, ""},
		{wPing, true, ""},
		{wClose, true, "\x03\xe9leaving"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("frames\n got %+v\nwant %+v", got, want)
	}
	if err := <-readDone; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("client's Read after close: %v", err)
	}
}

// TestCloseWithoutAnswer checks that a peer which never answers the
// closing handshake is dropped after a bounded time.
func TestCloseWithoutAnswer(t *testing.T) {
	t.Parallel()
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		type result struct {
			err     error
			elapsed time.Duration
		}
		done := make(chan result, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				done <- result{err: err}
				return
			}
			start := time.Now()
			err = c.Close(websocket.StatusNormalClosure, "bye")
			done <- result{err, time.Since(start)}
		}))
		t.Cleanup(srv.Close)
		rc := dialRaw(t, srv.Listener.Addr().String(), nil)
		// Read the close frame but never answer it.
		f := rc.next()
		if f.op != wClose || string(f.payload) != "\x03\xe8bye" {
			t.Fatalf("got opcode %#x %q, want close 1000 bye", f.op, f.payload)
		}
		rc.nc.SetReadDeadline(time.Now().Add(3 * rawWait))
		if _, err := rc.br.ReadByte(); err != io.EOF {
			t.Fatalf("after an unanswered close: %v, want EOF", err)
		}
		select {
		case r := <-done:
			if r.err == nil {
				t.Fatal("Close returned nil though the peer never answered")
			}
			if r.elapsed > 6500*time.Millisecond {
				t.Fatalf("Close took %v", r.elapsed)
			}
		case <-time.After(3 * rawWait):
			t.Fatal("Close did not return")
		}
	})
	t.Run("client", func(t *testing.T) {
		t.Parallel()
		eof := make(chan error, 1)
		url := fakeServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
			eof <- func() error {
				if err := switching(nc, req, ""); err != nil {
					return err
				}
				if f, err := readClientFrame(nc, br); err != nil || f.op != wClose {
					return fmt.Errorf("got opcode %#x, %v; want a close frame", f.op, err)
				}
				nc.SetReadDeadline(time.Now().Add(3 * rawWait))
				if _, err := br.ReadByte(); err != io.EOF {
					return fmt.Errorf("after an unanswered close: %v, want EOF", err)
				}
				return nil
			}()
		})
		c, _, err := websocket.Dial(dialCtx(t), url, nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = c.Close(websocket.StatusNormalClosure, "")
		elapsed := time.Since(start)
		if err == nil {
			t.Fatal("Close returned nil though the peer never answered")
		}
		if elapsed > 6500*time.Millisecond {
			t.Fatalf("Close took %v", elapsed)
		}
		if s := c.State(); s != websocket.StateClosed {
			t.Fatalf("state after Close: %v", s)
		}
		if err := <-eof; err != nil {
			t.Fatal(err)
		}
	})
}
