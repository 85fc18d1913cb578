package bench

import (
	"net"
	"sync/atomic"
)

// CompressionMode is how a benchmark configures permessage-deflate (RFC
// 7692) on both sides of a connection.
type CompressionMode string

const (
	// CompressionOff leaves compression off, as every library does by
	// default.
	CompressionOff CompressionMode = "off"
	// CompressionTakeover negotiates permessage-deflate with context
	// takeover in both directions and 32 KiB windows (15 bits), the
	// parameters a browser's offer ends with when the server imposes
	// nothing.
	CompressionTakeover CompressionMode = "takeover"
	// CompressionNoTakeover negotiates server_no_context_takeover and
	// client_no_context_takeover: every message is compressed on its
	// own, with 32 KiB windows.
	CompressionNoTakeover CompressionMode = "no-takeover"
)

// Every library compresses at its default level, which is flate's
// BestSpeed (1) for all three, and each keeps its default threshold under
// which messages go uncompressed (Duplex 128 bytes, gws 512 bytes without
// context takeover, gorilla none); the benchmark messages are larger.

// countingConn counts the bytes read from and written to a connection.
type countingConn struct {
	net.Conn
	read, written atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// total returns the bytes read and written so far.
func (c *countingConn) total() int64 { return c.read.Load() + c.written.Load() }

// wireCounter wraps connections in countingConns and remembers the last.
type wireCounter struct {
	conn atomic.Pointer[countingConn]
}

// wrap is a wrap function for Library.StartCompressedEcho.
func (w *wireCounter) wrap(c net.Conn) net.Conn {
	cc := &countingConn{Conn: c}
	w.conn.Store(cc)
	return cc
}

// total returns the bytes the last wrapped connection carried.
func (w *wireCounter) total() int64 {
	if c := w.conn.Load(); c != nil {
		return c.total()
	}
	return 0
}
