package loadgen

import (
	"hash/crc32"
	"net"
)

// frameTemplate is a masked frame built once per connection: sending a
// message copies it and writes the message's header, masked, in place.
type frameTemplate struct {
	frame      []byte
	payloadOff int
	key        [4]byte
	fillerCRC  uint32
}

func newFrameTemplate(op byte, size int, key [4]byte) *frameTemplate {
	payload := make([]byte, size)
	f := filler(size)
	copy(payload[HeaderSize:], f)
	frame := appendClientFrame(nil, op, payload, key)
	return &frameTemplate{
		frame:      frame,
		payloadOff: len(frame) - size,
		key:        key,
		fillerCRC:  crc32.Update(0, castagnoli, f),
	}
}

// appendMessage appends the frame of the message with header h to dst.
func (t *frameTemplate) appendMessage(dst []byte, h header) []byte {
	start := len(dst)
	dst = append(dst, t.frame...)
	hb := dst[start+t.payloadOff : start+t.payloadOff+HeaderSize]
	putHeader(hb, h, t.fillerCRC)
	mask(hb, t.key, 0)
	return dst
}

// pacer spaces the messages of one sender to a rate.
type pacer struct {
	perSec float64 // 0: no limit
	start  int64   // run time of the first message
	sent   int64
}

// allowed returns how many more messages may go at now, and if none,
// how long to wait for the next one.
func (p *pacer) allowed(now int64) (n int64, wait int64) {
	if p.perSec <= 0 {
		return 1 << 30, 0
	}
	if p.sent == 0 && p.start == 0 {
		p.start = now
	}
	due := int64(float64(now-p.start)*p.perSec/1e9) + 1
	if due > p.sent {
		return due - p.sent, 0
	}
	next := p.start + int64(float64(p.sent)*1e9/p.perSec)
	return 0, max(next-now, 1)
}

// bigFrame is the frame size from which a batch goes out with writev,
// every frame's head written anew and the masked filler shared, instead
// of copying whole frames into one buffer.
const bigFrame = 2048

// batch is a writer's batch of messages built from a template.
type batch struct {
	t     *frameTemplate
	buf   []byte // whole frames, or the heads of big ones
	offs  []int  // where each head ends in buf (big frames)
	iov   net.Buffers
	spare net.Buffers
}

func newBatch(t *frameTemplate, max int) *batch {
	b := &batch{t: t}
	if len(t.frame) >= bigFrame {
		b.buf = make([]byte, 0, max*(t.payloadOff+HeaderSize))
	} else {
		b.buf = make([]byte, 0, max*len(t.frame))
	}
	return b
}

func (b *batch) reset() {
	b.buf = b.buf[:0]
	b.offs = b.offs[:0]
}

func (b *batch) add(h header) {
	t := b.t
	if len(t.frame) < bigFrame {
		b.buf = t.appendMessage(b.buf, h)
		return
	}
	start := len(b.buf)
	b.buf = append(b.buf, t.frame[:t.payloadOff+HeaderSize]...)
	hb := b.buf[start+t.payloadOff:]
	putHeader(hb, h, t.fillerCRC)
	mask(hb, t.key, 0)
	b.offs = append(b.offs, len(b.buf))
}

// send writes the batch to c.
func (b *batch) send(c *wsConn) error {
	if len(b.t.frame) < bigFrame {
		return c.write(b.buf)
	}
	tail := b.t.frame[b.t.payloadOff+HeaderSize:]
	iov := b.spare[:0]
	start := 0
	for _, end := range b.offs {
		iov = append(iov, b.buf[start:end], tail)
		start = end
	}
	b.spare = iov
	b.iov = iov // WriteTo consumes b.iov, not the backing array in spare
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := b.iov.WriteTo(c.nc)
	return err
}
