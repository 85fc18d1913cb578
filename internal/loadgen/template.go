package loadgen

import "hash/crc32"

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
