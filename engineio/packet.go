package engineio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"unicode/utf8"
)

// packetType is the type of an Engine.IO packet, kept as the ASCII digit
// that starts the packet on the wire (spec: "Protocol", the table of packet
// types).
type packetType byte

// Packet types.
const (
	packetOpen    packetType = '0' // handshake data, server to client
	packetClose   packetType = '1' // the transport can be closed
	packetPing    packetType = '2' // heartbeat, server to client (and the upgrade probe)
	packetPong    packetType = '3' // heartbeat answer
	packetMessage packetType = '4' // application data
	packetUpgrade packetType = '5' // the client switches to the probed transport
	packetNoop    packetType = '6' // ends a pending long-polling request
)

// binaryPrefix starts a binary message in a polling payload: 'b' followed
// by the base64 of the data (spec: "Packet encoding", HTTP long-polling).
const binaryPrefix = 'b'

// probe is the payload of the ping and pong that test a new transport
// (spec: "Upgrade").
const probe = "probe"

// A packet is a decoded incoming packet.
type packet struct {
	typ    packetType
	data   []byte // the payload after the type; for a binary message, the raw bytes
	binary bool   // a binary message; typ is then packetMessage
}

// errEmptyPacket, errUnknownType and errBadBase64 describe why a packet
// could not be decoded; the session then closes with "parse error".
var (
	errEmptyPacket = errors.New("engineio: empty packet")
	errUnknownType = errors.New("engineio: unknown packet type")
	errBadBase64   = errors.New("engineio: binary packet is not valid base64")
	errBadUTF8     = errors.New("engineio: payload is not valid UTF-8")
)

// decodePacket decodes one packet in its text form: a WebSocket text
// message or one record of a polling payload. "b" followed by base64 is a
// binary message, decoded into scratch (grown as needed and returned for
// reuse); every other packet's data aliases text.
func decodePacket(text, scratch []byte) (packet, []byte, error) {
	if len(text) == 0 {
		return packet{}, scratch, errEmptyPacket
	}
	if text[0] == binaryPrefix {
		enc := base64.StdEncoding
		n := enc.DecodedLen(len(text) - 1)
		if cap(scratch) < n {
			scratch = make([]byte, n)
		}
		m, err := enc.Decode(scratch[:n], text[1:])
		if err != nil {
			return packet{}, scratch, errBadBase64
		}
		return packet{typ: packetMessage, data: scratch[:m], binary: true}, scratch, nil
	}
	t := packetType(text[0])
	if t < packetOpen || t > packetNoop {
		return packet{}, scratch, errUnknownType
	}
	return packet{typ: t, data: text[1:]}, scratch, nil
}

// An outPacket is a packet queued for the client, encoded for the
// WebSocket transport: a text packet is its whole text form (type digit
// first), a binary message is its raw bytes. The polling payload encoder
// adds the 'b' and base64 for binary ones.
type outPacket struct {
	data   []byte
	binary bool
	class  uint8 // the size class of data's buffer (packetbuf.go), 0 for none
}

// Packets the server sends that carry no data of their own.
var (
	pingPacket      = outPacket{data: []byte{byte(packetPing)}}
	closePacket     = outPacket{data: []byte{byte(packetClose)}}
	noopPacket      = outPacket{data: []byte{byte(packetNoop)}}
	probePongPacket = outPacket{data: []byte(string(packetPong) + probe)}
)

// textMessage builds the packet of a text message: '4' then a copy of data.
func textMessage(data []byte) outPacket {
	b, class := packetBuffer(1 + len(data))
	b[0] = byte(packetMessage)
	copy(b[1:], data)
	return outPacket{data: b, class: class}
}

// binaryMessage builds the packet of a binary message from a copy of data.
func binaryMessage(data []byte) outPacket {
	b, class := packetBuffer(len(data))
	copy(b, data)
	return outPacket{data: b, binary: true, class: class}
}

// validText reports whether data can travel as a text message: valid
// UTF-8 (what a WebSocket text frame must carry, RFC 6455 section 8.1)
// without the record separator, which would split it in two on the
// polling transport (spec: "Packet encoding" assumes the separator is
// not used in the data).
func validText(data []byte) bool {
	return bytes.IndexByte(data, recordSeparator) < 0 && utf8.Valid(data)
}
