package loadgen

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// WebSocket opcodes (RFC 6455, section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// putClientHeader writes the header of a final, masked frame with opcode
// op and an n-byte payload into dst and returns its length.
func putClientHeader(dst []byte, op byte, n int, key [4]byte) int {
	dst[0] = 0x80 | op
	i := 2
	switch {
	case n <= 125:
		dst[1] = 0x80 | byte(n)
	case n <= 0xffff:
		dst[1] = 0x80 | 126
		binary.BigEndian.PutUint16(dst[2:], uint16(n))
		i = 4
	default:
		dst[1] = 0x80 | 127
		binary.BigEndian.PutUint64(dst[2:], uint64(n))
		i = 10
	}
	copy(dst[i:], key[:])
	return i + 4
}

// mask XORs p with key, p starting at offset pos of the payload
// (RFC 6455, section 5.3).
func mask(p []byte, key [4]byte, pos int) {
	for i := range p {
		p[i] ^= key[(pos+i)&3]
	}
}

// appendClientFrame appends a whole masked frame to dst.
func appendClientFrame(dst []byte, op byte, payload []byte, key [4]byte) []byte {
	var hdr [14]byte
	n := putClientHeader(hdr[:], op, len(payload), key)
	dst = append(dst, hdr[:n]...)
	start := len(dst)
	dst = append(dst, payload...)
	mask(dst[start:], key, 0)
	return dst
}

// errShortFrame means that buf does not hold the whole frame yet.
var errShortFrame = errors.New("short frame")

// protocolError is a frame that a client must reject.
type protocolError string

func (e protocolError) Error() string { return "protocol error: " + string(e) }

// frame is a parsed server frame.
type frame struct {
	fin     bool
	op      byte
	hdrLen  int
	payload int // payload length
}

// parseFrame parses the frame at the start of buf. It returns
// errShortFrame when buf does not hold the whole frame, with hdrLen and
// payload filled in if the header is complete and hdrLen 0 if not.
func parseFrame(buf []byte) (frame, error) {
	if len(buf) < 2 {
		return frame{}, errShortFrame
	}
	b0, b1 := buf[0], buf[1]
	f := frame{fin: b0&0x80 != 0, op: b0 & 0x0f, hdrLen: 2}
	if b0&0x70 != 0 {
		return f, protocolError("reserved bits set without a negotiated extension")
	}
	if b1&0x80 != 0 {
		return f, protocolError("masked frame from the server")
	}
	n := int(b1 & 0x7f)
	switch n {
	case 126:
		if len(buf) < 4 {
			return frame{}, errShortFrame
		}
		n = int(binary.BigEndian.Uint16(buf[2:]))
		f.hdrLen = 4
	case 127:
		if len(buf) < 10 {
			return frame{}, errShortFrame
		}
		v := binary.BigEndian.Uint64(buf[2:])
		if v > 1<<40 {
			return f, protocolError(fmt.Sprintf("frame of %d bytes", v))
		}
		n = int(v)
		f.hdrLen = 10
	}
	f.payload = n
	switch f.op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !f.fin || n > 125 {
			return f, protocolError("fragmented or oversized control frame")
		}
	default:
		return f, protocolError(fmt.Sprintf("unknown opcode %#x", f.op))
	}
	if len(buf) < f.hdrLen+n {
		return f, errShortFrame
	}
	return f, nil
}
