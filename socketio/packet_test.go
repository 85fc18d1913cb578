package socketio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/duplexrt/duplex/socketio"
)

// The examples of the protocol's "Packet encoding" section, both ways.
var specPackets = []struct {
	name   string
	packet socketio.Packet
	wire   []string // text, then attachments
}{
	{"connect", socketio.Packet{Type: socketio.PacketConnect, Namespace: "/"}, []string{"0"}},
	{"connect with sid", socketio.Packet{Type: socketio.PacketConnect, Namespace: "/", Data: json.RawMessage(`{"sid":"wZX3oN0bSVIhsaknAAAI"}`)},
		[]string{`0{"sid":"wZX3oN0bSVIhsaknAAAI"}`}},
	{"connect admin", socketio.Packet{Type: socketio.PacketConnect, Namespace: "/admin"}, []string{"0/admin,"}},
	{"connect admin with sid", socketio.Packet{Type: socketio.PacketConnect, Namespace: "/admin", Data: json.RawMessage(`{"sid":"oSO0OpakMV_3jnilAAAA"}`)},
		[]string{`0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}`}},
	{"connect error", socketio.Packet{Type: socketio.PacketConnectError, Namespace: "/", Data: json.RawMessage(`{"message":"Not authorized"}`)},
		[]string{`4{"message":"Not authorized"}`}},
	{"event", socketio.Packet{Type: socketio.PacketEvent, Namespace: "/", Data: json.RawMessage(`["foo"]`)}, []string{`2["foo"]`}},
	{"event admin", socketio.Packet{Type: socketio.PacketEvent, Namespace: "/admin", Data: json.RawMessage(`["bar"]`)}, []string{`2/admin,["bar"]`}},
	{"binary event", socketio.Packet{Type: socketio.PacketEvent, Namespace: "/",
		Data:        json.RawMessage(`["baz",{"_placeholder":true,"num":0}]`),
		Attachments: [][]byte{{1, 2, 3, 4}}},
		[]string{`51-["baz",{"_placeholder":true,"num":0}]`, "\x01\x02\x03\x04"}},
	{"binary event admin", socketio.Packet{Type: socketio.PacketEvent, Namespace: "/admin",
		Data:        json.RawMessage(`["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`),
		Attachments: [][]byte{{1, 2}, {3, 4}}},
		[]string{`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "\x01\x02", "\x03\x04"}},
	{"event with id", socketio.Packet{Type: socketio.PacketEvent, Namespace: "/", ID: 12, HasID: true, Data: json.RawMessage(`["foo"]`)},
		[]string{`212["foo"]`}},
	{"ack", socketio.Packet{Type: socketio.PacketAck, Namespace: "/", ID: 12, HasID: true, Data: json.RawMessage(`[]`)}, []string{`312[]`}},
	{"event admin with id", socketio.Packet{Type: socketio.PacketEvent, Namespace: "/admin", ID: 13, HasID: true, Data: json.RawMessage(`["foo"]`)},
		[]string{`2/admin,13["foo"]`}},
	{"ack admin", socketio.Packet{Type: socketio.PacketAck, Namespace: "/admin", ID: 13, HasID: true, Data: json.RawMessage(`["bar"]`)},
		[]string{`3/admin,13["bar"]`}},
	{"binary event with id", socketio.Packet{Type: socketio.PacketEvent, Namespace: "/", ID: 14, HasID: true,
		Data: json.RawMessage(`["foo",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1, 2, 3, 4}}},
		[]string{`51-14["foo",{"_placeholder":true,"num":0}]`, "\x01\x02\x03\x04"}},
	{"binary ack", socketio.Packet{Type: socketio.PacketAck, Namespace: "/", ID: 15, HasID: true,
		Data: json.RawMessage(`["bar",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1, 2, 3, 4}}},
		[]string{`61-15["bar",{"_placeholder":true,"num":0}]`, "\x01\x02\x03\x04"}},
	{"disconnect", socketio.Packet{Type: socketio.PacketDisconnect, Namespace: "/"}, []string{"1"}},
	{"disconnect admin", socketio.Packet{Type: socketio.PacketDisconnect, Namespace: "/admin"}, []string{"1/admin,"}},
}

func TestEncodeSpecExamples(t *testing.T) {
	for _, tc := range specPackets {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := tc.packet.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if got := strs(msgs); !reflect.DeepEqual(got, tc.wire) {
				t.Errorf("Encode = %q, want %q", got, tc.wire)
			}
		})
	}
}

func TestDecodeSpecExamples(t *testing.T) {
	for _, tc := range specPackets {
		t.Run(tc.name, func(t *testing.T) {
			p := decodeAll(t, tc.wire)
			if !reflect.DeepEqual(*p, tc.packet) {
				t.Errorf("Decode(%q) = %+v, want %+v", tc.wire, *p, tc.packet)
			}
		})
	}
}

func strs(msgs [][]byte) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m)
	}
	return out
}

// decodeAll feeds a text message and its attachments to a Decoder and
// returns the packet they complete.
func decodeAll(t *testing.T, wire []string) *socketio.Packet {
	t.Helper()
	var d socketio.Decoder
	for i, m := range wire {
		p, err := d.Decode([]byte(m), i > 0)
		if err != nil {
			t.Fatalf("Decode(%q): %v", m, err)
		}
		if p != nil {
			if i != len(wire)-1 {
				t.Fatalf("packet complete after %d of %d messages", i+1, len(wire))
			}
			return p
		}
	}
	t.Fatalf("no packet from %q", wire)
	return nil
}

func TestDecodeNamespaceWithoutComma(t *testing.T) {
	// The protocol test suite sends "40/random" and "41/custom".
	for _, tc := range []struct {
		in  string
		typ socketio.PacketType
		nsp string
	}{
		{"0/random", socketio.PacketConnect, "/random"},
		{"1/custom", socketio.PacketDisconnect, "/custom"},
		{`0/custom,{"token":"abc"}`, socketio.PacketConnect, "/custom"},
	} {
		p := decodeAll(t, []string{tc.in})
		if p.Type != tc.typ || p.Namespace != tc.nsp {
			t.Errorf("Decode(%q) = %v %q, want %v %q", tc.in, p.Type, p.Namespace, tc.typ, tc.nsp)
		}
	}
}

func TestDecodeAcceptsWhiteSpaceAndNumbers(t *testing.T) {
	for _, in := range []string{
		`2 ["a", 1] `,
		`2[1,"two"]`,
		`2[-1.5e3]`,
		`0{ }`,
		`4"refused"`,
		`3[]`,
		`3/admin,0[null]`,
	} {
		var d socketio.Decoder
		if _, err := d.Decode([]byte(in), false); err != nil {
			t.Errorf("Decode(%q): %v", in, err)
		}
	}
}

func TestDecodeInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		wire []string
	}{
		{"empty", []string{""}},
		{"unknown type", []string{"abc"}},
		{"type 7", []string{"7"}},
		{"event payload object", []string{"2{}"}},
		{"non-numeric ack id", []string{`2abc["message-with-ack",1,"2",{"3":[false]}]`}},
		{"event without payload", []string{"2"}},
		{"event empty array", []string{"2[]"}},
		{"event name object", []string{`2[{}]`}},
		{"event name null", []string{`2[null]`}},
		{"reserved event name", []string{`2["disconnect"]`}},
		{"reserved event escaped", []string{`2["connect\u005ferror"]`}},
		{"truncated JSON", []string{`2["a"`}},
		{"trailing garbage", []string{`2["a"]x`}},
		{"ack without payload", []string{"31"}},
		{"ack object", []string{`31{}`}},
		{"disconnect with payload", []string{`1{}`}},
		{"connect array", []string{`0[]`}},
		{"connect null", []string{`0null`}},
		{"connect string", []string{`0"x"`}},
		{"connect error number", []string{`41`}},
		{"attachments missing dash", []string{`51["a",{"_placeholder":true,"num":0}]`}},
		{"zero attachments", []string{`50-["a"]`}},
		{"too many attachments", []string{`511-["a"]`}},
		{"huge attachment count", []string{`599999999999-["a"]`}},
		{"placeholder out of range", []string{`51-["a",{"_placeholder":true,"num":1}]`}},
		{"placeholder negative", []string{`51-["a",{"_placeholder":true,"num":-1}]`}},
		{"placeholder fraction", []string{`51-["a",{"_placeholder":true,"num":0.5}]`}},
		{"placeholder without num", []string{`51-["a",{"_placeholder":true}]`}},
		{"binary without packet", []string{"\x01\x02"}},
		{"text while reconstructing", []string{`51-["a",{"_placeholder":true,"num":0}]`, `2["b"]`}},
		{"ack id too large", []string{`29007199254740992["a"]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d socketio.Decoder
			var err error
			for i, m := range tc.wire {
				binary := i > 0 && !strings.HasPrefix(m, "2")
				if tc.name == "binary without packet" {
					binary = true
				}
				if _, err = d.Decode([]byte(m), binary); err != nil {
					break
				}
			}
			if !errors.Is(err, socketio.ErrInvalidPacket) {
				t.Errorf("Decode(%q) error = %v, want ErrInvalidPacket", tc.wire, err)
			}
		})
	}
}

func TestDecodeMaxAttachments(t *testing.T) {
	d := socketio.Decoder{MaxAttachments: 2}
	if _, err := d.Decode([]byte(`53-["a"]`), false); !errors.Is(err, socketio.ErrInvalidPacket) {
		t.Errorf("3 attachments with MaxAttachments 2: error %v", err)
	}
	if p, err := d.Decode([]byte(`52-["a"]`), false); p != nil || err != nil {
		t.Fatalf("2 attachments: %v %v", p, err)
	}
	d.Decode([]byte{1}, true)
	p, err := d.Decode([]byte{2}, true)
	if err != nil || p == nil || len(p.Attachments) != 2 {
		t.Fatalf("second attachment: %+v %v", p, err)
	}
}

func TestDecoderCopiesItsInput(t *testing.T) {
	var d socketio.Decoder
	text := []byte(`51-/a,["x",{"_placeholder":true,"num":0}]`)
	att := []byte{1, 2, 3}
	d.Decode(text, false)
	p, _ := d.Decode(att, true)
	for i := range text {
		text[i] = 'X'
	}
	att[0] = 9
	if p.Namespace != "/a" || string(p.Data) != `["x",{"_placeholder":true,"num":0}]` || !bytes.Equal(p.Attachments[0], []byte{1, 2, 3}) {
		t.Errorf("packet changed with the caller's buffers: %+v", p)
	}
}

func TestEncodeRejectsCommaInNamespace(t *testing.T) {
	p := socketio.Packet{Type: socketio.PacketEvent, Namespace: "/a,b", Data: json.RawMessage(`["x"]`)}
	if _, err := p.Encode(); err == nil {
		t.Error("Encode accepted a namespace with a comma")
	}
}

func TestPacketTypeString(t *testing.T) {
	if s := socketio.PacketBinaryAck.String(); s != "BINARY_ACK" {
		t.Errorf("String = %q", s)
	}
	if s := socketio.PacketType(9).String(); s != "PacketType(9)" {
		t.Errorf("String = %q", s)
	}
}
