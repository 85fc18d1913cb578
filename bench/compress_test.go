package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"testing"
	"time"
)

// TestJSONLike checks that the generator makes valid JSON of the exact
// size asked, the same for the same seed and different across seeds.
func TestJSONLike(t *testing.T) {
	for _, n := range []int{2, 3, 17, 40, 100, 1 << 10, 64 << 10} {
		b := JSONLike(n, 1)
		if len(b) != n || !json.Valid(b) {
			t.Fatalf("JSONLike(%d) gave %d bytes, valid JSON %v: %.80q", n, len(b), json.Valid(b), b)
		}
		if !bytes.Equal(b, JSONLike(n, 1)) {
			t.Fatalf("JSONLike(%d, 1) differs between calls", n)
		}
		if n >= 100 && bytes.Equal(b, JSONLike(n, 2)) {
			t.Fatalf("JSONLike(%d) is the same for seeds 1 and 2", n)
		}
	}
}

// startCompressedEcho starts lib's echo server and client in mode, and
// closes both when tb ends. It returns the client, the extensions the
// server answered, and the counter of the client's TCP connection when
// count is set.
func startCompressedEcho(tb testing.TB, lib Library, mode CompressionMode, count bool) (EchoClient, string, *wireCounter) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wc *wireCounter
	var wrap func(net.Conn) net.Conn
	if count {
		wc = &wireCounter{}
		wrap = wc.wrap
	}
	c, ext, err := lib.StartCompressedEcho(ctx, mode, wrap)
	if err != nil {
		tb.Fatalf("%s/%s: start echo: %v", lib.Name, mode, err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("%s/%s: close: %v", lib.Name, mode, err)
		}
	})
	return c, ext, wc
}

// TestEchoCompressed checks, for every library and compression mode, that
// the server's handshake answer negotiates what the mode asks for, that
// every message of the benchmark sets comes back byte for byte, one after
// another over one connection (so that with context takeover each
// message is compressed against the ones before it), and that the bytes
// on the wire show compression: less than half the payload when
// compressed, at least the payload when not.
func TestEchoCompressed(t *testing.T) {
	for _, lib := range Libraries() {
		for _, mode := range lib.Modes {
			t.Run(lib.Name+"/"+string(mode), func(t *testing.T) {
				c, ext, wc := startCompressedEcho(t, lib, mode, true)
				if err := checkNegotiated(mode, ext); err != nil {
					t.Fatal(err)
				}
				start := wc.total()
				var payload int64
				for _, size := range compressedSizes {
					for i, msg := range MessageSet(size) {
						got, err := c.Echo(1, [][]byte{msg})
						if err != nil {
							t.Fatalf("%s message %d: %v", SizeName(size), i, err)
						}
						if !bytes.Equal(got, msg) {
							t.Fatalf("%s message %d: echo differs (got %d bytes)", SizeName(size), i, len(got))
						}
						payload += 2 * int64(len(msg))
					}
				}
				wire := wc.total() - start
				t.Logf("negotiated %q; %d payload bytes both ways took %d bytes on the wire (%.0f%%)",
					ext, payload, wire, 100*float64(wire)/float64(payload))
				if mode == CompressionOff && wire < payload {
					t.Fatalf("%d bytes on the wire for %d bytes of payload, uncompressed", wire, payload)
				}
				if mode != CompressionOff && wire > payload/2 {
					t.Fatalf("%d bytes on the wire for %d bytes of payload: not compressed", wire, payload)
				}
			})
		}
	}
}

// BenchmarkEchoCompressed measures echo round trips of JSON-like messages
// over loopback TCP with each library's compression modes: off, context
// takeover, no context takeover. The client cycles through MessageSet.
// wire-B/msg is the bytes one message takes on the wire, frame header
// included, averaged over both directions; it is measured on a second
// connection before the timed loop, since counting bytes on the timed
// one would change the libraries' write paths.
func BenchmarkEchoCompressed(b *testing.B) {
	for _, lib := range Libraries() {
		b.Run(lib.Name, func(b *testing.B) {
			for _, mode := range lib.Modes {
				b.Run(string(mode), func(b *testing.B) {
					for _, size := range compressedSizes {
						b.Run(SizeName(size), func(b *testing.B) {
							benchmarkEchoCompressed(b, lib, mode, size)
						})
					}
				})
			}
		})
	}
}

func benchmarkEchoCompressed(b *testing.B, lib Library, mode CompressionMode, size int) {
	msgs := MessageSet(size)
	wire, err := wirePerMessage(b, lib, mode, msgs)
	if err != nil {
		b.Fatal(err)
	}
	c, _, _ := startCompressedEcho(b, lib, mode, false)
	// Warm up buffers, pools and windows on both sides.
	if _, err := c.Echo(2*len(msgs), msgs); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := c.Echo(b.N, msgs); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(wire, "wire-B/msg")
}

// wirePerMessage echoes msgs twice on a connection of its own and returns
// the bytes per message and direction of the second pass, when the
// windows of context takeover hold earlier messages.
func wirePerMessage(b *testing.B, lib Library, mode CompressionMode, msgs [][]byte) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wc := &wireCounter{}
	c, _, err := lib.StartCompressedEcho(ctx, mode, wc.wrap)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if _, err := c.Echo(len(msgs), msgs); err != nil {
		return 0, err
	}
	start := wc.total()
	if _, err := c.Echo(len(msgs), msgs); err != nil {
		return 0, err
	}
	n := wc.total() - start
	if n <= 0 {
		return 0, fmt.Errorf("%s/%s: no bytes counted on the wire", lib.Name, mode)
	}
	return float64(n) / float64(2*len(msgs)), nil
}
