package socketio

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodePacket feeds the decoder a text message followed by up to n
// copies of an attachment. Whatever it accepts must encode back to
// messages that decode to the same packet, and events and
// acknowledgements must yield their arguments; whatever it refuses must be
// refused with ErrInvalidPacket. The seed corpus is in
// testdata/fuzz/FuzzDecodePacket.
func FuzzDecodePacket(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string, att []byte, n uint8) {
		d := Decoder{MaxAttachments: 4}
		p, err := d.Decode([]byte(text), false)
		for i := 0; p == nil && err == nil && i < int(n%6); i++ {
			p, err = d.Decode(att, true)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("error %v does not wrap ErrInvalidPacket", err)
			}
			return
		}
		if p == nil {
			return // waiting for attachments
		}
		msgs, err := p.Encode()
		if err != nil {
			t.Fatalf("Encode(%+v): %v", p, err)
		}
		var d2 Decoder
		var q *Packet
		for i, m := range msgs {
			if q, err = d2.Decode(m, i > 0); err != nil {
				t.Fatalf("decoding %q again: %v", msgs, err)
			}
		}
		if q == nil || !reflect.DeepEqual(normalize(p), normalize(q)) {
			t.Fatalf("round trip: %+v became %+v", p, q)
		}
		switch p.Type {
		case PacketEvent:
			ev, err := newEvent(p, nil)
			if err != nil {
				t.Fatalf("newEvent: %v", err)
			}
			for _, a := range ev.Args {
				var v any
				if err := a.Decode(&v); err != nil {
					t.Fatalf("argument %s: %v", a.JSON, err)
				}
				if _, err := appendValue(nil, a, new([][]byte)); err != nil {
					t.Fatalf("re-encoding %s: %v", a.JSON, err)
				}
			}
		case PacketAck:
			if _, err := ackArgs(p); err != nil {
				t.Fatalf("ackArgs: %v", err)
			}
		}
	})
}

func normalize(p *Packet) Packet {
	q := *p
	if q.Namespace == "" {
		q.Namespace = "/"
	}
	q.Data = bytes.TrimSpace(q.Data)
	if len(q.Attachments) == 0 {
		q.Attachments = nil
	}
	return q
}
