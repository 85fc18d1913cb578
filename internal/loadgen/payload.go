package loadgen

import (
	"bytes"
	"hash/crc32"
)

// HeaderSize is the smallest payload the load generator sends: every
// message starts with a header of this many bytes that identifies it and
// carries its checksum.
//
// The header is ASCII, so that text messages are valid UTF-8:
//
//	offset  size  field
//	0       1     'D'
//	1       1     kind: 'e' echo, 'b' broadcast data, 'p' broadcast probe
//	2       6     stream: the connection (echo) or publisher (broadcast), hex
//	8       12    sequence number within the stream, hex
//	20      12    send time, nanoseconds since the run started, hex
//	32      8     CRC-32C of bytes 40 and on, then of bytes 0 to 31, hex
//
// The rest of the payload is a fixed filler of lower-case letters, which
// the receiver compares with the filler it expects, byte for byte.
const HeaderSize = 40

// Kinds of message.
const (
	kindEcho  = 'e'
	kindData  = 'b'
	kindProbe = 'p'
)

// Largest values the header can carry.
const (
	maxStream = 1<<24 - 1
	maxSeq    = 1<<48 - 1
	maxTime   = 1<<48 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// filler returns the bytes that follow the header in a payload of size n.
func filler(n int) []byte {
	f := make([]byte, n-HeaderSize)
	for i := range f {
		f[i] = 'a' + byte(i%26)
	}
	return f
}

// checker verifies payloads of the size a run sends without computing
// the CRC of their filler: it compares the filler with the one expected
// and continues the filler's CRC, computed once, over the header.
type checker struct {
	size      int
	filler    []byte
	fillerCRC uint32
}

func newChecker(size int) *checker {
	f := filler(size)
	return &checker{size: size, filler: f, fillerCRC: crc32.Update(0, castagnoli, f)}
}

const hexDigits = "0123456789abcdef"

// putHex writes v as len(dst) hex digits, most significant first.
func putHex(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = hexDigits[v&0xf]
		v >>= 4
	}
}

// parseHex reads the hex number in p; ok is false if p holds anything
// else than lower-case hex digits.
func parseHex(p []byte) (v uint64, ok bool) {
	for _, c := range p {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// header is the decoded header of a payload.
type header struct {
	kind   byte
	stream uint32
	seq    uint64
	sent   int64 // nanoseconds since the run started
}

// putHeader writes h into dst[:HeaderSize]; fillerCRC is the CRC-32C of
// the payload's filler (crc32.Update(0, castagnoli, filler)).
func putHeader(dst []byte, h header, fillerCRC uint32) {
	_ = dst[HeaderSize-1]
	dst[0] = 'D'
	dst[1] = h.kind
	putHex(dst[2:8], uint64(h.stream))
	putHex(dst[8:20], h.seq)
	putHex(dst[20:32], uint64(h.sent))
	putHex(dst[32:40], uint64(crc32.Update(fillerCRC, castagnoli, dst[:32])))
}

// verdict is what parsePayload found.
type verdict int

const (
	payloadOK      verdict = iota
	payloadForeign         // not a message of the load generator
	payloadCorrupt         // the header is there but the checksum does not match
)

// parse decodes and checks p.
func (c *checker) parse(p []byte) (header, verdict) {
	if len(p) != c.size || len(p) < HeaderSize {
		return parsePayload(p)
	}
	h, sum, v := parseFields(p)
	if v != payloadOK {
		return h, v
	}
	if uint64(crc32.Update(c.fillerCRC, castagnoli, p[:32])) != sum || !bytes.Equal(p[HeaderSize:], c.filler) {
		return header{}, payloadCorrupt
	}
	return h, payloadOK
}

// parseFields decodes the header of p, without checking the checksum
// it returns.
func parseFields(p []byte) (header, uint64, verdict) {
	if len(p) < HeaderSize || p[0] != 'D' || (p[1] != kindEcho && p[1] != kindData && p[1] != kindProbe) {
		return header{}, 0, payloadForeign
	}
	stream, ok1 := parseHex(p[2:8])
	seq, ok2 := parseHex(p[8:20])
	sent, ok3 := parseHex(p[20:32])
	sum, ok4 := parseHex(p[32:40])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return header{}, 0, payloadCorrupt
	}
	return header{kind: p[1], stream: uint32(stream), seq: seq, sent: int64(sent)}, sum, payloadOK
}

// parsePayload decodes and checks a payload of any size.
func parsePayload(p []byte) (header, verdict) {
	h, sum, v := parseFields(p)
	if v != payloadOK {
		return h, v
	}
	crc := crc32.Update(crc32.Update(0, castagnoli, p[HeaderSize:]), castagnoli, p[:32])
	if uint64(crc) != sum {
		return header{}, payloadCorrupt
	}
	return h, payloadOK
}
