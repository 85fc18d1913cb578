package main

import "strconv"

// The payloads are JSON strings of letters, digits and dashes, so that
// both servers pass them on without escaping and a received packet can
// be compared byte for byte with the one expected. Each names who sent
// it and its sequence number, and fills the rest of its size with
// letters that depend on both, so that a payload delivered to the wrong
// place or damaged on the way does not verify.

// payloadHead is the length of the fixed fields: kind, 4-digit source,
// dash, 10-digit sequence number, dash.
const payloadHead = 1 + 4 + 1 + 10 + 1

// appendPayload appends the payload of kind ('b' broadcast, 'e' echo)
// number seq from src, size bytes long (at least payloadHead).
func appendPayload(dst []byte, kind byte, src int, seq int64, size int) []byte {
	dst = append(dst, kind)
	dst = appendDigits(dst, int64(src), 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, seq, 10)
	dst = append(dst, '-')
	for i := range size - payloadHead {
		dst = append(dst, 'a'+byte((int64(src)*7+seq*13+int64(i))%26))
	}
	return dst
}

// appendDigits appends v in decimal, zero-padded to width digits.
func appendDigits(dst []byte, v int64, width int) []byte {
	var b [20]byte
	s := strconv.AppendInt(b[:0], v, 10)
	for range width - len(s) {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// payloadFields returns the source and sequence number of payload p of
// kind, or ok false if its fixed fields do not parse.
func payloadFields(p []byte, kind byte) (src int, seq int64, ok bool) {
	if len(p) < payloadHead || p[0] != kind || p[5] != '-' || p[16] != '-' {
		return 0, 0, false
	}
	s, ok1 := parseDigits(p[1:5])
	n, ok2 := parseDigits(p[6:16])
	return int(s), n, ok1 && ok2
}

// parseDigits parses a zero-padded decimal number; it allocates
// nothing, as it runs for every message received.
func parseDigits(p []byte) (int64, bool) {
	var v int64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}
