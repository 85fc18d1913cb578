package bench

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/compress/flate"
)

// IdleConns is how many connections BenchmarkIdleConn opens per library
// and mode.
const IdleConns = 1000

// IdleSettle is how long BenchmarkIdleConn lets the connections idle
// after the last echo before it measures, the same for every library. It
// exceeds the 2 to 4 seconds after which Duplex's sweeper takes the
// compressor back from a connection with context takeover that stopped
// writing.
const IdleSettle = 5 * time.Second

// IdleMessageSize is the size of the JSONLike message every idle
// connection sends and receives once. It equals the largest window (15
// bits), so that with context takeover the windows a connection keeps are
// full, as they are on any connection that has exchanged that much.
const IdleMessageSize = 32 << 10

// idleOffer is the permessage-deflate offer of the idle clients, the one
// browsers send: it lets the server choose context takeover or not.
const idleOffer = "permessage-deflate; client_max_window_bits"

// IdleResult is what MeasureIdle found.
type IdleResult struct {
	// Setup is the memory the server held before any connection: the
	// listener, the HTTP server and the library's upgrader.
	Setup int64
	// Active is the memory per connection right after the last
	// connection's echo, once garbage is collected.
	Active float64
	// Idle is the memory per connection after IdleSettle more.
	Idle float64
	// Extensions is the Sec-WebSocket-Extensions answer of the server.
	Extensions string
}

// MeasureIdle starts lib's idle server for mode and opens conns raw TCP
// connections to it from this process. Each does the opening handshake by
// hand (offering permessage-deflate unless mode is CompressionOff), sends
// one masked binary message of IdleMessageSize bytes (compressed when
// compression was negotiated), checks that the echo carries the same
// bytes, and then waits. MeasureIdle measures the heap and stacks in use
// (after two garbage collections) before the server starts, after it
// started, right after the last echo, and settle later, and returns the
// differences. The clients cost the process their *net.TCPConn, a few
// hundred bytes each, which the figures include for every library alike;
// kernel socket buffers are not counted.
func MeasureIdle(lib Library, mode CompressionMode, conns int, settle time.Duration) (res IdleResult, err error) {
	msg := JSONLike(IdleMessageSize, 7)
	plain := clientFrame(msg, false)
	compressed := clientFrame(deflateMessage(msg), true)

	m0 := memInUse()
	srv, err := lib.StartIdleServer(mode)
	if err != nil {
		return res, err
	}
	m1 := memInUse()
	res.Setup = m1 - m0

	clients := make([]net.Conn, 0, conns)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
		if cerr := srv.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	for range conns {
		c, ext, derr := dialIdle(srv.Addr(), mode, msg, plain, compressed)
		if derr != nil {
			return res, fmt.Errorf("%s/%s: client %d: %w", lib.Name, mode, len(clients), derr)
		}
		clients = append(clients, c)
		res.Extensions = ext
	}
	lastEcho := time.Now()
	m2 := memInUse()
	res.Active = float64(m2-m1) / float64(conns)
	time.Sleep(time.Until(lastEcho.Add(settle)))
	m3 := memInUse()
	res.Idle = float64(m3-m1) / float64(conns)
	return res, nil
}

// dialIdle opens one idle client: handshake, one message, its echo. It
// returns the connection, which then only waits, and the server's
// Sec-WebSocket-Extensions answer.
func dialIdle(addr string, mode CompressionMode, msg, plain, compressed []byte) (net.Conn, string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	ext, err := idleExchange(c, mode, msg, plain, compressed)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, ext, nil
}

func idleExchange(c net.Conn, mode CompressionMode, msg, plain, compressed []byte) (string, error) {
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return "", err
	}
	req := "GET / HTTP/1.1\r\nHost: " + c.RemoteAddr().String() + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if mode != CompressionOff {
		req += "Sec-WebSocket-Extensions: " + idleOffer + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		return "", err
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return "", fmt.Errorf("handshake answered %s", resp.Status)
	}
	// The accept key of the fixed request key (RFC 6455, section 1.3).
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		return "", fmt.Errorf("Sec-WebSocket-Accept %q", got)
	}
	ext := resp.Header.Get("Sec-WebSocket-Extensions")
	if err := checkNegotiated(mode, ext); err != nil {
		return ext, err
	}
	frame := plain
	if mode != CompressionOff {
		frame = compressed
	}
	if _, err := c.Write(frame); err != nil {
		return ext, err
	}
	rsv1, payload, err := readServerMessage(br)
	if err != nil {
		return ext, err
	}
	if rsv1 != (mode != CompressionOff) {
		return ext, fmt.Errorf("echo has RSV1 %v in mode %s", rsv1, mode)
	}
	if rsv1 {
		if payload, err = inflateMessage(payload); err != nil {
			return ext, err
		}
	}
	if !bytes.Equal(payload, msg) {
		return ext, fmt.Errorf("echo of %d bytes differs (got %d bytes)", len(msg), len(payload))
	}
	if br.Buffered() > 0 {
		return ext, fmt.Errorf("%d unexpected bytes after the echo", br.Buffered())
	}
	return ext, c.SetDeadline(time.Time{})
}

// checkNegotiated checks the server's Sec-WebSocket-Extensions answer
// against mode.
func checkNegotiated(mode CompressionMode, ext string) error {
	takeover := !strings.Contains(ext, "server_no_context_takeover") && !strings.Contains(ext, "client_no_context_takeover")
	noTakeover := strings.Contains(ext, "server_no_context_takeover") && strings.Contains(ext, "client_no_context_takeover")
	ok := false
	switch mode {
	case CompressionOff:
		ok = ext == ""
	case CompressionTakeover:
		ok = strings.HasPrefix(ext, "permessage-deflate") && takeover
	case CompressionNoTakeover:
		ok = strings.HasPrefix(ext, "permessage-deflate") && noTakeover
	}
	if !ok {
		return fmt.Errorf("mode %s, but the server answered Sec-WebSocket-Extensions %q", mode, ext)
	}
	return nil
}

// deflateMessage compresses msg as a permessage-deflate message without
// context: the raw DEFLATE stream, flushed, without its final empty
// stored block's 4 bytes (RFC 7692, section 7.2.1).
func deflateMessage(msg []byte) []byte {
	var b bytes.Buffer
	fw, err := flate.NewWriter(&b, flate.BestSpeed)
	if err != nil {
		panic(err)
	}
	fw.Write(msg)
	fw.Flush()
	out := b.Bytes()
	if !bytes.HasSuffix(out, []byte{0, 0, 0xff, 0xff}) {
		panic("bench: flushed DEFLATE stream without its sync marker")
	}
	return out[:len(out)-4]
}

// inflateMessage decompresses a permessage-deflate message compressed
// without context.
func inflateMessage(p []byte) ([]byte, error) {
	src := io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}))
	fr := flate.NewReader(src)
	defer fr.Close()
	return io.ReadAll(fr)
}

// clientFrame builds one final, masked binary frame carrying payload
// (RFC 6455, section 5.2), with RSV1 set when compressed (RFC 7692,
// section 6).
func clientFrame(payload []byte, compressed bool) []byte {
	b0 := byte(0x80 | 0x2)
	if compressed {
		b0 |= 0x40
	}
	frame := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	case n <= 0xffff:
		frame = append(frame, 0x80|126)
		frame = binary.BigEndian.AppendUint16(frame, uint16(n))
	default:
		frame = append(frame, 0x80|127)
		frame = binary.BigEndian.AppendUint64(frame, uint64(n))
	}
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	frame = append(frame, key[:]...)
	for i, c := range payload {
		frame = append(frame, c^key[i&3])
	}
	return frame
}

// readServerMessage reads one data message from the server, which may
// come in several frames, and returns its RSV1 bit (from the first frame)
// and its payload.
func readServerMessage(r io.Reader) (rsv1 bool, payload []byte, err error) {
	for first := true; ; first = false {
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return false, nil, err
		}
		fin, opcode := h[0]&0x80 != 0, h[0]&0x0f
		if h[1]&0x80 != 0 {
			return false, nil, errors.New("server frame is masked")
		}
		switch {
		case first && opcode != 0x2:
			return false, nil, fmt.Errorf("first frame has opcode %d, want 2 (binary)", opcode)
		case !first && opcode != 0x0:
			return false, nil, fmt.Errorf("frame has opcode %d, want 0 (continuation)", opcode)
		case !first && h[0]&0x40 != 0:
			return false, nil, errors.New("RSV1 on a continuation frame")
		}
		if first {
			rsv1 = h[0]&0x40 != 0
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			if _, err := io.ReadFull(r, l[:]); err != nil {
				return false, nil, err
			}
			n = uint64(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			if _, err := io.ReadFull(r, l[:]); err != nil {
				return false, nil, err
			}
			n = binary.BigEndian.Uint64(l[:])
		}
		if n > ReadLimit {
			return false, nil, fmt.Errorf("frame of %d bytes", n)
		}
		start := len(payload)
		payload = append(payload, make([]byte, n)...)
		if _, err := io.ReadFull(r, payload[start:]); err != nil {
			return false, nil, err
		}
		if fin {
			return rsv1, payload, nil
		}
	}
}

// memInUse returns the heap and goroutine stacks in use after two
// garbage collections, the second of which also empties the sync.Pools.
func memInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}
