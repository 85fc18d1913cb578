package websocket

import (
	"encoding/binary"
	"errors"
)

// opcode is a frame's opcode (RFC 6455, section 5.2).
type opcode byte

const (
	opContinuation opcode = 0x0
	opText         opcode = 0x1
	opBinary       opcode = 0x2
	opClose        opcode = 0x8
	opPing         opcode = 0x9
	opPong         opcode = 0xA
)

// isControl reports whether op is a control opcode (section 5.5).
func (op opcode) isControl() bool { return op&0x8 != 0 }

// Header bits of the first byte.
const (
	bitFin  = 0x80
	bitRsv1 = 0x40
	bitRsv2 = 0x20
	bitRsv3 = 0x10
	bitMask = 0x80
)

// maxHeaderSize is the longest frame header: 2 bytes, 8 bytes of
// extended length and a 4-byte masking key.
const maxHeaderSize = 14

// maxControlPayload is the largest payload of a control frame (section 5.5).
const maxControlPayload = 125

// header is a parsed frame header.
type header struct {
	fin     bool
	rsv     byte // the three reserved bits, in place (0x70 mask)
	op      opcode
	masked  bool
	length  int64
	maskKey [4]byte
}

// errHeaderLength reports a 64-bit payload length whose most
// significant bit is set (section 5.2).
var errHeaderLength = errors.New("payload length has its most significant bit set")

// parseHeader decodes the frame header at the start of b. It returns the
// header's size, or 0 when b does not yet hold a complete header. It
// checks only what the header alone can violate; the caller checks the
// rest against the connection's state.
func parseHeader(b []byte, h *header) (int, error) {
	if len(b) < 2 {
		return 0, nil
	}
	b0, b1 := b[0], b[1]
	h.fin = b0&bitFin != 0
	h.rsv = b0 & (bitRsv1 | bitRsv2 | bitRsv3)
	h.op = opcode(b0 & 0x0f)
	h.masked = b1&bitMask != 0
	n := 2
	switch l := b1 & 0x7f; l {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if h.masked {
		n += 4
	}
	if len(b) < n {
		return 0, nil
	}
	switch l := b1 & 0x7f; l {
	case 126:
		h.length = int64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		v := binary.BigEndian.Uint64(b[2:])
		if v>>63 != 0 {
			return n, errHeaderLength
		}
		h.length = int64(v)
	default:
		h.length = int64(l)
	}
	if h.masked {
		copy(h.maskKey[:], b[n-4:n])
	}
	return n, nil
}

// putHeader encodes a frame header into b, which must hold
// maxHeaderSize bytes, using the shortest length encoding (section 5.2
// requires the minimal number of bytes). It returns the header's size.
func putHeader(b []byte, fin bool, rsv byte, op opcode, length int, mask bool, key [4]byte) int {
	b0 := byte(op) | rsv
	if fin {
		b0 |= bitFin
	}
	b[0] = b0
	var b1 byte
	if mask {
		b1 = bitMask
	}
	n := 2
	switch {
	case length <= 125:
		b[1] = b1 | byte(length)
	case length <= 0xffff:
		b[1] = b1 | 126
		binary.BigEndian.PutUint16(b[2:], uint16(length))
		n = 4
	default:
		b[1] = b1 | 127
		binary.BigEndian.PutUint64(b[2:], uint64(length))
		n = 10
	}
	if mask {
		copy(b[n:], key[:])
		n += 4
	}
	return n
}
