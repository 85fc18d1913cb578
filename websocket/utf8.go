package websocket

import (
	"encoding/binary"
	"unicode/utf8"
)

// utf8Validator checks text incrementally: a message may be split across
// frames and reads at any byte, even inside a code point, and an invalid
// byte is reported as soon as it is seen (RFC 6455, section 8.1).
// The zero value is ready at the start of a message.
type utf8Validator struct {
	state uint8
}

// States of the validator: how many continuation bytes are still
// expected, and which narrower range the next one must fall in where
// the first byte requires it (RFC 3629, section 4).
const (
	utf8Accept  uint8 = iota
	utf8Need1         // one more continuation byte, 80-BF
	utf8Need2         // two more, 80-BF
	utf8Need3         // three more, 80-BF
	utf8AfterE0       // next A0-BF (no overlong 3-byte forms)
	utf8AfterED       // next 80-9F (no surrogates)
	utf8AfterF0       // next 90-BF (no overlong 4-byte forms)
	utf8AfterF4       // next 80-8F (nothing above U+10FFFF)
	utf8Reject
)

const asciiMask = 0x8080808080808080

// write validates p as the continuation of the text seen so far and
// reports whether it is still valid.
func (v *utf8Validator) write(p []byte) bool {
	if v.state == utf8Accept {
		// Fast path: the standard library validates whole code points
		// faster than a byte-wise machine; only an incomplete sequence at
		// the end, or an error, needs the state machine.
		cut := completePrefix(p)
		if utf8.Valid(p[:cut]) {
			p = p[cut:]
		}
	}
	return v.step(p)
}

// completePrefix returns the length of p without a trailing code point
// that p cuts short.
func completePrefix(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-3; i-- {
		c := p[i]
		if c < 0x80 {
			break
		}
		if c >= 0xC0 {
			need := 4
			switch {
			case c < 0xE0:
				need = 2
			case c < 0xF0:
				need = 3
			}
			if len(p)-i < need {
				return i
			}
			break
		}
	}
	return len(p)
}

// step runs the state machine over p.
func (v *utf8Validator) step(p []byte) bool {
	st := v.state
	for i := 0; i < len(p); {
		if st == utf8Accept {
			// ASCII fast path: eight bytes at a time.
			for len(p)-i >= 8 && binary.LittleEndian.Uint64(p[i:])&asciiMask == 0 {
				i += 8
			}
			if i == len(p) {
				break
			}
		}
		c := p[i]
		i++
		switch st {
		case utf8Accept:
			switch {
			case c < 0x80:
			case c < 0xC2:
				st = utf8Reject
			case c < 0xE0:
				st = utf8Need1
			case c == 0xE0:
				st = utf8AfterE0
			case c == 0xED:
				st = utf8AfterED
			case c < 0xF0:
				st = utf8Need2
			case c == 0xF0:
				st = utf8AfterF0
			case c < 0xF4:
				st = utf8Need3
			case c == 0xF4:
				st = utf8AfterF4
			default:
				st = utf8Reject
			}
		case utf8Need1, utf8Need2, utf8Need3:
			if c&0xC0 != 0x80 {
				st = utf8Reject
			} else {
				st-- // Need3 -> Need2 -> Need1 -> Accept
			}
		case utf8AfterE0:
			st = nextIf(c >= 0xA0 && c <= 0xBF, utf8Need1)
		case utf8AfterED:
			st = nextIf(c >= 0x80 && c <= 0x9F, utf8Need1)
		case utf8AfterF0:
			st = nextIf(c >= 0x90 && c <= 0xBF, utf8Need2)
		case utf8AfterF4:
			st = nextIf(c >= 0x80 && c <= 0x8F, utf8Need2)
		}
		if st == utf8Reject {
			v.state = st
			return false
		}
	}
	v.state = st
	return true
}

func nextIf(ok bool, next uint8) uint8 {
	if ok {
		return next
	}
	return utf8Reject
}

// complete reports whether the text seen so far ends on a code point
// boundary.
func (v *utf8Validator) complete() bool { return v.state == utf8Accept }

// validUTF8 reports whether p is complete, valid UTF-8.
func validUTF8(p []byte) bool {
	var v utf8Validator
	return v.write(p) && v.complete()
}
