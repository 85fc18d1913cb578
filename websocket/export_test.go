package websocket

import (
	"io"
	"net"
	"time"
)

// Hooks for the black-box benchmarks.

func ValidUTF8ForBenchmark(p []byte) bool { return validUTF8(p) }

func MaskForBenchmark(key [4]byte, p []byte) { mask(key, 0, p) }

// discardConn is a net.Conn that drops what is written to it and blocks
// reads until closed.
type discardConn struct {
	net.Conn
	closed chan struct{}
}

func (d *discardConn) Write(p []byte) (int, error)      { return len(p), nil }
func (d *discardConn) Read(p []byte) (int, error)       { <-d.closed; return 0, io.EOF }
func (d *discardConn) Close() error                     { return nil }
func (d *discardConn) SetDeadline(time.Time) error      { return nil }
func (d *discardConn) SetReadDeadline(time.Time) error  { return nil }
func (d *discardConn) SetWriteDeadline(time.Time) error { return nil }
func (d *discardConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (d *discardConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }

// NewDiscardServerConn returns a server connection whose writes go
// nowhere, compressing without context takeover when compress is set.
func NewDiscardServerConn(compress bool) *Conn {
	cfg := connConfig{}
	if compress {
		p := deflateParams{serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15}
		cfg.deflate = newDeflateState(p, "permessage-deflate", &CompressionOptions{}, false)
	}
	return newConn(&discardConn{closed: make(chan struct{})}, cfg)
}
