package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"
)

// writeSizes are the message sizes of BenchmarkClientWrite; small messages
// say little about masking.
var writeSizes = []int{1 << 10, 64 << 10, 1 << 20}

// dialDiscard connects lib's client to a fresh DiscardConn that keeps the
// first keep bytes written after the handshake.
func dialDiscard(tb testing.TB, lib Library, keep int) (MessageWriter, *DiscardConn) {
	tb.Helper()
	if lib.DialDiscard == nil {
		tb.Skipf("%s: no client write harness", lib.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := NewDiscardConn()
	conn.Keep = keep
	w, err := lib.DialDiscard(ctx, conn)
	if err != nil {
		tb.Fatalf("%s: dial: %v", lib.Name, err)
	}
	tb.Cleanup(func() { _ = w.Close() })
	return w, conn
}

// unmaskFrame parses the single frame at the start of b (RFC 6455,
// section 5.2) and returns its FIN bit, opcode, whether it was masked, and
// its unmasked payload.
func unmaskFrame(t *testing.T, b []byte) (fin bool, opcode byte, masked bool, payload []byte) {
	t.Helper()
	if len(b) < 2 {
		t.Fatalf("frame of %d bytes", len(b))
	}
	fin, opcode, masked = b[0]&0x80 != 0, b[0]&0x0f, b[1]&0x80 != 0
	n, off := uint64(b[1]&0x7f), 2
	switch n {
	case 126:
		n, off = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		n, off = binary.BigEndian.Uint64(b[2:]), 10
	}
	var key [4]byte
	if masked {
		copy(key[:], b[off:])
		off += 4
	}
	if uint64(len(b)-off) < n {
		t.Fatalf("frame says %d payload bytes, have %d", n, len(b)-off)
	}
	payload = append([]byte(nil), b[off:off+int(n)]...)
	for i := range payload {
		payload[i] ^= key[i&3]
	}
	return fin, opcode, masked, payload
}

// TestClientWriteMasked checks that every library's client, connected to
// a DiscardConn, writes one masked binary frame carrying the message: the
// client write benchmark measures masking, not a shortcut.
func TestClientWriteMasked(t *testing.T) {
	for _, lib := range Libraries() {
		t.Run(lib.Name, func(t *testing.T) {
			const size = 1000
			w, conn := dialDiscard(t, lib, 2*size)
			msg := Payload(size)
			if err := w.WriteBinary(msg); err != nil {
				t.Fatal(err)
			}
			fin, opcode, masked, payload := unmaskFrame(t, conn.Kept())
			if !fin || opcode != 2 || !masked {
				t.Fatalf("frame fin=%v opcode=%d masked=%v, want a final, masked binary frame", fin, opcode, masked)
			}
			if !bytes.Equal(payload, msg) {
				t.Fatal("unmasked payload differs from the message")
			}
		})
	}
}

// BenchmarkClientWrite measures the client write path (framing, masking,
// copying) into a connection that discards the bytes. MB/s here is the
// masking-dominated throughput of each library's client.
func BenchmarkClientWrite(b *testing.B) {
	for _, lib := range Libraries() {
		b.Run(lib.Name, func(b *testing.B) {
			for _, size := range writeSizes {
				b.Run(SizeName(size), func(b *testing.B) {
					w, conn := dialDiscard(b, lib, 0)
					msg := Payload(size)
					for range 10 {
						if err := w.WriteBinary(msg); err != nil {
							b.Fatal(err)
						}
					}
					start := conn.Written()
					b.SetBytes(int64(size))
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						if err := w.WriteBinary(msg); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					if got := conn.Written() - start; got < int64(b.N)*int64(size) {
						b.Fatalf("%d bytes reached the connection, want at least %d", got, int64(b.N)*int64(size))
					}
				})
			}
		})
	}
}
