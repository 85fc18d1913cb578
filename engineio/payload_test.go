package engineio

import (
	"slices"
	"strings"
	"testing"
)

func TestEncodePayload(t *testing.T) {
	for _, tc := range []struct {
		pkts []outPacket
		want string
	}{
		{nil, ""},
		{[]outPacket{textMessage([]byte("hello"))}, "4hello"},
		// The spec's examples ("Packet encoding", HTTP long-polling).
		{[]outPacket{textMessage([]byte("hello")), pingPacket, textMessage([]byte("world"))}, "4hello\x1e2\x1e4world"},
		{[]outPacket{textMessage([]byte("hello")), binaryMessage([]byte{1, 2, 3, 4})}, "4hello\x1ebAQIDBA=="},
		{[]outPacket{binaryMessage(nil), noopPacket}, "b\x1e6"},
		{[]outPacket{textMessage([]byte("\u20ac")), closePacket}, "4\u20ac\x1e1"},
	} {
		got := appendPayload(nil, tc.pkts)
		if string(got) != tc.want {
			t.Errorf("appendPayload: %q, want %q", got, tc.want)
		}
		if n := payloadLen(tc.pkts); n != len(tc.want) {
			t.Errorf("payloadLen %d for %q", n, tc.want)
		}
	}
}

// decodeAll decodes a payload into "type:data" strings, "b:" for binary.
func decodeAll(body string) ([]string, error) {
	var got []string
	err := decodePayload([]byte(body), func(p packet) bool {
		if p.binary {
			got = append(got, "b:"+string(p.data))
		} else {
			got = append(got, string(p.typ)+":"+string(p.data))
		}
		return true
	})
	return got, err
}

func TestDecodePayload(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  error
	}{
		{in: "4hello", want: []string{"4:hello"}},
		{in: "4hello\x1e2\x1e4world", want: []string{"4:hello", "2:", "4:world"}},
		{in: "4hello\x1ebAQIDBA==", want: []string{"4:hello", "b:\x01\x02\x03\x04"}},
		{in: "bAQ==\x1ebAgM=", want: []string{"b:\x01", "b:\x02\x03"}},
		{in: "1", want: []string{"1:"}},
		{in: "3\x1e4\u00e9\u20ac\U0001d11e", want: []string{"3:", "4:\u00e9\u20ac\U0001d11e"}},
		{in: "", err: errEmptyPacket},
		{in: "\x1e", err: errEmptyPacket},
		{in: "4a\x1e", want: []string{"4:a"}, err: errEmptyPacket},
		{in: "4a\x1e\x1e4b", want: []string{"4:a"}, err: errEmptyPacket},
		{in: "4a\x1e9", want: []string{"4:a"}, err: errUnknownType},
		{in: "4a\x1eb!", want: []string{"4:a"}, err: errBadBase64},
		{in: "4a\xff", err: errBadUTF8},
	} {
		got, err := decodeAll(tc.in)
		if err != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestDecodePayloadStops: decoding stops when the callback says so.
func TestDecodePayloadStops(t *testing.T) {
	n := 0
	err := decodePayload([]byte("4a\x1e1\x1e4b\x1ex"), func(p packet) bool {
		n++
		return p.typ != packetClose
	})
	if err != nil || n != 2 {
		t.Errorf("%d packets, %v", n, err)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	pkts := []outPacket{
		textMessage([]byte("plain")),
		binaryMessage([]byte(strings.Repeat("\x00\xff\x1e", 100))),
		textMessage(nil),
		binaryMessage(nil),
		pingPacket,
	}
	got, err := decodeAll(string(appendPayload(nil, pkts)))
	want := []string{"4:plain", "b:" + strings.Repeat("\x00\xff\x1e", 100), "4:", "b:", "2:"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("%q, %v", got, err)
	}
}
