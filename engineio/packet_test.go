package engineio

import (
	"bytes"
	"testing"
)

func TestDecodePacket(t *testing.T) {
	for _, tc := range []struct {
		in     string
		typ    packetType
		data   string
		binary bool
		err    error
	}{
		{in: "0{}", typ: packetOpen, data: "{}"},
		{in: "1", typ: packetClose},
		{in: "2probe", typ: packetPing, data: "probe"},
		{in: "3", typ: packetPong},
		{in: "4hello \u20ac", typ: packetMessage, data: "hello \u20ac"},
		{in: "4", typ: packetMessage},
		{in: "5", typ: packetUpgrade},
		{in: "6", typ: packetNoop},
		{in: "bAQIDBA==", typ: packetMessage, data: "\x01\x02\x03\x04", binary: true},
		{in: "b", typ: packetMessage, binary: true},
		{in: "", err: errEmptyPacket},
		{in: "7", err: errUnknownType},
		{in: "/", err: errUnknownType},
		{in: "a4", err: errUnknownType},
		{in: "bAQIDBA", err: errBadBase64},
		{in: "b@@@@", err: errBadBase64},
		{in: "bAQ-_", err: errBadBase64}, // base64url is not the encoding
	} {
		p, _, err := decodePacket([]byte(tc.in), nil)
		if err != tc.err {
			t.Errorf("%q: error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && (p.typ != tc.typ || string(p.data) != tc.data || p.binary != tc.binary) {
			t.Errorf("%q: got %c %q binary=%v, want %c %q binary=%v", tc.in, p.typ, p.data, p.binary, tc.typ, tc.data, tc.binary)
		}
	}
}

// TestDecodePacketScratch: binary messages are decoded into the scratch
// buffer, which is grown and returned for reuse.
func TestDecodePacketScratch(t *testing.T) {
	scratch := make([]byte, 0, 16)
	p, s, err := decodePacket([]byte("bAQIDBA=="), scratch)
	if err != nil || &s[:1][0] != &scratch[:1][0] || !bytes.Equal(p.data, []byte{1, 2, 3, 4}) {
		t.Errorf("decoded %v (err %v) outside the scratch buffer", p.data, err)
	}
	p, s, _ = decodePacket([]byte("b"+string(bytes.Repeat([]byte("AAAA"), 10))), s)
	if len(p.data) != 30 || cap(s) < 30 {
		t.Errorf("got %d bytes, scratch of %d", len(p.data), cap(s))
	}
}

func TestOutPackets(t *testing.T) {
	src := []byte("hi")
	text, bin := textMessage(src), binaryMessage(src)
	src[0] = 'X'
	if string(text.data) != "4hi" || text.binary || string(bin.data) != "hi" || !bin.binary {
		t.Errorf("text %q, binary %q: not copies of the message", text.data, bin.data)
	}
	if string(probePongPacket.data) != "3probe" || string(pingPacket.data) != "2" || string(noopPacket.data) != "6" || string(closePacket.data) != "1" {
		t.Error("control packets")
	}
}

func TestValidText(t *testing.T) {
	for in, want := range map[string]bool{
		"":                 true,
		"hello \u20ac":     true,
		"a\x1eb":           false,
		"\xff":             false,
		"\xed\xa0\x80":     false, // a surrogate
		"\x00\x1f\x1d\x7f": true,
	} {
		if got := validText([]byte(in)); got != want {
			t.Errorf("validText(%q) = %v", in, got)
		}
	}
}
