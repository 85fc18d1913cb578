package engineio

import (
	"bytes"
	"testing"
)

// toOut turns a decoded packet back into its outgoing form.
func toOut(p packet) outPacket {
	if p.binary {
		return binaryMessage(p.data)
	}
	return outPacket{data: append([]byte{byte(p.typ)}, p.data...)}
}

// FuzzDecodePayload checks that the polling payload decoder never panics,
// and that what it accepts encodes back to a payload that decodes to the
// same packets. The seed corpus is in testdata/fuzz/FuzzDecodePayload.
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{"4hello", "4hello\x1e2\x1e4world", "4hello\x1ebAQIDBA==", "", "\x1e", "b", "3\x1e1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var first []outPacket
		err := decodePayload(body, func(p packet) bool {
			if p.typ < packetOpen || p.typ > packetNoop || p.binary && p.typ != packetMessage {
				t.Fatalf("decoded an impossible packet %+v", p)
			}
			first = append(first, toOut(p))
			return true
		})
		if err != nil {
			return
		}
		if len(first) == 0 {
			t.Fatal("a payload without packets was accepted")
		}
		again := appendPayload(nil, first)
		var second []outPacket
		if err := decodePayload(again, func(p packet) bool { second = append(second, toOut(p)); return true }); err != nil {
			t.Fatalf("re-encoded payload %q: %v", again, err)
		}
		if len(first) != len(second) {
			t.Fatalf("%d packets, then %d", len(first), len(second))
		}
		for i := range first {
			if first[i].binary != second[i].binary || !bytes.Equal(first[i].data, second[i].data) {
				t.Fatalf("packet %d: %+v, then %+v", i, first[i], second[i])
			}
		}
	})
}

// FuzzDecodePacket checks the packet decoder the same way, for WebSocket
// text messages. The seed corpus is in testdata/fuzz/FuzzDecodePacket.
func FuzzDecodePacket(f *testing.F) {
	for _, s := range []string{"2probe", "3probe", "4hello", "5", "6", "bAQIDBA==", "b", "", "7", "4\x1e"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, _, err := decodePacket(text, nil)
		if err != nil {
			return
		}
		if p.typ < packetOpen || p.typ > packetNoop {
			t.Fatalf("decoded an impossible packet %+v", p)
		}
		out := toOut(p)
		var enc []byte
		if out.binary {
			enc = appendPayload(nil, []outPacket{out})
		} else {
			enc = out.data
			if !bytes.Equal(enc, text) {
				t.Fatalf("text packet %q encodes back as %q", text, enc)
			}
		}
		q, _, err := decodePacket(enc, nil)
		if err != nil || q.typ != p.typ || q.binary != p.binary || !bytes.Equal(q.data, p.data) {
			t.Fatalf("%q: %+v, then %q: %+v (%v)", text, p, enc, q, err)
		}
	})
}
