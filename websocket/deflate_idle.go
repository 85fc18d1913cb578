package websocket

import (
	"sync"
	"sync/atomic"
	"time"
)

// With context takeover, a connection's compressor must remember the
// last window of what it sent, but the compressor itself is large
// (hundreds of kilobytes of hash tables and buffers) while the window is
// at most 32 KiB. So a connection keeps a copy of the window, and a
// compressor only while it writes: a sweeper takes the compressors of
// connections that wrote nothing for a while back to the pool, and the
// next message primes a pooled compressor with the saved window.

// compressorIdleAfter is how long a compressor stays with a connection
// that does not write.
const compressorIdleAfter = 2 * time.Second

// maxHeldCompressors bounds the compressors kept by connections at once,
// and so their memory (several hundred kilobytes each at the full
// window): beyond it, connections prime a pooled compressor from their
// saved window for each message, which costs time instead of memory.
const maxHeldCompressors = 32

// heldCompressors counts the compressors connections keep.
var heldCompressors atomic.Int32

var compressorSweeper struct {
	mu      sync.Mutex
	conns   map[*Conn]struct{} // connections holding a compressor
	running bool
}

// holdCompressor registers c as holding a compressor.
func holdCompressor(c *Conn) {
	s := &compressorSweeper
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		s.conns = make(map[*Conn]struct{})
	}
	s.conns[c] = struct{}{}
	if !s.running {
		s.running = true
		time.AfterFunc(compressorIdleAfter, sweepCompressors)
	}
}

// sweepCompressors releases the compressors of idle connections, and
// runs again while any connection holds one.
func sweepCompressors() {
	s := &compressorSweeper
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		d := c.deflate
		if d.wrote.Swap(false) {
			continue // written to since the last sweep
		}
		if !c.msgLock.tryLock() {
			continue // a message is being written
		}
		d.releaseCompressor()
		c.msgLock.unlock()
		delete(s.conns, c)
	}
	if len(s.conns) == 0 {
		s.running = false
		return
	}
	time.AfterFunc(compressorIdleAfter, sweepCompressors)
}

// forgetCompressor unregisters c, whose connection is closed.
func forgetCompressor(c *Conn) {
	s := &compressorSweeper
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	if c.deflate.held.Swap(false) {
		heldCompressors.Add(-1)
	}
}

// releaseCompressor gives the compressor back to its pool; msgLock must
// be held.
func (d *deflateState) releaseCompressor() {
	if d.held.Swap(false) {
		heldCompressors.Add(-1)
	}
	if d.fw != nil {
		putFlateWriter(d.writeBits, d.level, d.fw)
		d.fw = nil
	}
}

// rememberSent appends p to the window of sent data kept for a
// compressor that context takeover will prime.
func (d *deflateState) rememberSent(p []byte) {
	d.wdict = appendWindow(d.wdict, p, 1<<d.writeBits)
}

// appendWindow appends p to window and keeps its last size bytes.
func appendWindow(window, p []byte, size int) []byte {
	if len(p) >= size {
		return append(window[:0], p[len(p)-size:]...)
	}
	if over := len(window) + len(p) - size; over > 0 {
		window = append(window[:0], window[over:]...)
	}
	return append(window, p...)
}
