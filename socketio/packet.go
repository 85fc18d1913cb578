package socketio

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// A PacketType is the type of a Socket.IO packet (protocol v5).
type PacketType byte

// The packet types, numbered as on the wire.
const (
	PacketConnect      PacketType = iota // a client joins a namespace; the server accepts
	PacketDisconnect                     // either side leaves a namespace
	PacketEvent                          // an event with its arguments
	PacketAck                            // the answer to an event that asked for one
	PacketConnectError                   // the server refuses a namespace
	PacketBinaryEvent                    // an event with binary attachments
	PacketBinaryAck                      // an answer with binary attachments
)

var packetTypeNames = [...]string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"}

// String returns the name the protocol gives the type, such as "BINARY_EVENT".
func (t PacketType) String() string {
	if int(t) < len(packetTypeNames) {
		return packetTypeNames[t]
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// A Packet is one Socket.IO packet. Its payload is kept as JSON text in
// which each binary value is replaced by a placeholder
// {"_placeholder":true,"num":N} that refers to Attachments[N], as the
// protocol carries it.
//
// A packet with attachments has the logical type PacketEvent or PacketAck:
// Encode sends it as PacketBinaryEvent or PacketBinaryAck, and the Decoder
// returns it with the logical type once every attachment has arrived.
type Packet struct {
	Type        PacketType
	Namespace   string          // "/" (or "") is the main namespace
	ID          uint64          // the acknowledgement id, when HasID is set
	HasID       bool            // whether the packet carries an acknowledgement id
	Data        json.RawMessage // the payload; nil when the packet has none
	Attachments [][]byte        // binary values referred to by the placeholders in Data
}

// SetData sets the payload to v, encoded as JSON with every []byte in it
// (at any depth) moved to Attachments and replaced by a placeholder; see
// the package documentation for the rules.
func (p *Packet) SetData(v any) error {
	var atts [][]byte
	data, err := appendValue(nil, v, &atts)
	if err != nil {
		return err
	}
	p.Data = data
	p.Attachments = atts
	return nil
}

// DecodeData decodes the payload into v, which must be a non-nil pointer,
// as json.Unmarshal would, with each placeholder turned back into its
// attachment where v holds a []byte or an interface value.
func (p *Packet) DecodeData(v any) error {
	return Raw{JSON: p.Data, Attachments: p.Attachments}.Decode(v)
}

var errNamespaceComma = errors.New("socketio: namespace must not contain a comma")

// Encode returns the Engine.IO messages that carry the packet: the text
// part first, then one binary message per attachment. The text has the
// form
//
//	<type>[<attachments>-][<namespace>,][<id>][<JSON payload>]
//
// where the namespace is written only when it is not "/".
func (p *Packet) Encode() ([][]byte, error) {
	text, err := p.appendText(nil)
	if err != nil {
		return nil, err
	}
	msgs := make([][]byte, 1+len(p.Attachments))
	msgs[0] = text
	copy(msgs[1:], p.Attachments)
	return msgs, nil
}

// appendText appends the text part of the packet to b.
func (p *Packet) appendText(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 1+4+len(p.Namespace)+1+20+len(p.Data))
	}
	b, err := p.appendHead(b, len(p.Attachments))
	if err != nil {
		return nil, err
	}
	return append(b, p.Data...), nil
}

// appendHead appends the text part of a packet with n attachments up to
// its payload.
func (p *Packet) appendHead(b []byte, n int) ([]byte, error) {
	nsp := p.Namespace
	if nsp == "/" {
		nsp = ""
	}
	if strings.IndexByte(nsp, ',') >= 0 {
		return nil, errNamespaceComma
	}
	t := p.Type
	switch {
	case n > 0 && t == PacketEvent:
		t = PacketBinaryEvent
	case n > 0 && t == PacketAck:
		t = PacketBinaryAck
	case n == 0 && t == PacketBinaryEvent:
		t = PacketEvent
	case n == 0 && t == PacketBinaryAck:
		t = PacketAck
	}
	b = append(b, '0'+byte(t))
	if t == PacketBinaryEvent || t == PacketBinaryAck {
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, '-')
	}
	if nsp != "" {
		b = append(b, nsp...)
		b = append(b, ',')
	}
	if p.HasID {
		b = strconv.AppendUint(b, p.ID, 10)
	}
	return b, nil
}

// appendArgsText appends to b the text part of a packet that has p's
// type (PacketEvent or PacketAck), namespace and id, and the payload
// appendArgs makes of event and args; it returns the text and the
// attachments. p's Data and Attachments are ignored. Unlike SetData and
// appendText, it writes the payload once, in place.
func (p *Packet) appendArgsText(b []byte, event string, named bool, args []any) (text []byte, atts [][]byte, err error) {
	if b, err = p.appendHead(b, 0); err != nil {
		return nil, nil, err
	}
	start := len(b)
	if b, err = appendArgs(b, event, named, args, &atts); err != nil {
		return nil, nil, err
	}
	if len(atts) > 0 {
		// The head of a binary packet counts the attachments, which are
		// known only now: write it again in front of the payload.
		var buf [64]byte
		head, err := p.appendHead(buf[:0], len(atts))
		if err != nil {
			return nil, nil, err
		}
		b = slices.Replace(b, 0, start, head...)
	}
	return b, atts, nil
}

// bufPool holds buffers for packets encoded to be sent at once: the
// Engine.IO session copies what it is given.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxPooled bounds the capacity of a buffer kept in bufPool.
const maxPooled = 64 << 10

func getBuffer() *[]byte { return bufPool.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) > maxPooled {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
