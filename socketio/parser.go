package socketio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// DefaultMaxAttachments is the number of binary attachments a received
// packet may announce when Options.MaxAttachments is 0, as in the
// reference parser.
const DefaultMaxAttachments = 10

// maxAckID is the largest acknowledgement id accepted: the largest integer
// a JavaScript number holds exactly.
const maxAckID = 1<<53 - 1

func parseError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidPacket}, args...)...)
}

// reservedEvents may not be used as event names: a client that sends one is
// closed, and Emit refuses them.
var reservedEvents = map[string]bool{
	"connect":        true,
	"connect_error":  true,
	"disconnect":     true,
	"disconnecting":  true,
	"newListener":    true,
	"removeListener": true,
}

// A Decoder turns the Engine.IO messages of one connection into packets,
// reassembling binary packets from their text part and the attachments
// that follow it. Its zero value is ready to use, with
// DefaultMaxAttachments. A Decoder is not safe for concurrent use.
type Decoder struct {
	// MaxAttachments bounds the attachments one packet may announce;
	// 0 means DefaultMaxAttachments.
	MaxAttachments int

	partial *Packet // a binary packet waiting for attachments
	want    int     // the number of attachments partial announced
}

// Decode feeds the decoder one message. It returns the packet that the
// message completes, or nil while a binary packet waits for more
// attachments. Decode copies what it keeps of data. After an error the
// decoder is reset, but the connection should be closed: the peer does not
// speak the protocol.
func (d *Decoder) Decode(data []byte, binary bool) (*Packet, error) {
	var p Packet
	ok, err := d.decode(&p, data, binary)
	if !ok {
		return nil, err
	}
	q := p // allocated only for a packet returned
	return &q, nil
}

// decode is Decode into *p, which it sets when it reports a packet
// complete.
func (d *Decoder) decode(p *Packet, data []byte, binary bool) (ok bool, err error) {
	if binary {
		if d.partial == nil {
			d.Reset()
			return false, parseError("binary message without a binary packet")
		}
		q := d.partial
		q.Attachments = append(q.Attachments, bytes.Clone(data))
		if len(q.Attachments) < d.want {
			return false, nil
		}
		d.partial = nil
		*p = *q
		return true, nil
	}
	if d.partial != nil {
		d.Reset()
		return false, parseError("text message while a binary packet waits for %d attachments", d.want)
	}
	n, err := d.decodeText(p, data)
	if err != nil {
		return false, err
	}
	if n > 0 {
		q := *p
		q.Attachments = make([][]byte, 0, n)
		d.partial, d.want = &q, n
		return false, nil
	}
	return true, nil
}

// Reset drops a partly received binary packet.
func (d *Decoder) Reset() {
	d.partial, d.want = nil, 0
}

// decodeText parses the text form of a packet into *p. n is the number of
// attachments that must follow.
func (d *Decoder) decodeText(p *Packet, s []byte) (n int, err error) {
	if len(s) == 0 {
		return 0, parseError("empty message")
	}
	t := PacketType(s[0] - '0')
	if s[0] < '0' || t > PacketBinaryAck {
		return 0, parseError("unknown packet type %q", s[0])
	}
	*p = Packet{Type: t, Namespace: "/"}
	i := 1
	if t == PacketBinaryEvent || t == PacketBinaryAck {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' && j-i < 9 {
			j++
		}
		if j == i || j >= len(s) || s[j] != '-' {
			return 0, parseError("illegal attachments")
		}
		n, _ = strconv.Atoi(string(s[i:j]))
		max := d.MaxAttachments
		if max <= 0 {
			max = DefaultMaxAttachments
		}
		if n < 1 {
			return 0, parseError("illegal attachments")
		}
		if n > max {
			return 0, parseError("too many attachments (%d, at most %d)", n, max)
		}
		i = j + 1
		p.Type -= PacketBinaryEvent - PacketEvent // the logical type
	}
	if i < len(s) && s[i] == '/' {
		j := bytes.IndexByte(s[i:], ',')
		if j < 0 {
			p.Namespace = string(s[i:])
			i = len(s)
		} else {
			p.Namespace = string(s[i : i+j])
			i += j + 1
		}
	}
	if i < len(s) && s[i] >= '0' && s[i] <= '9' {
		var id uint64
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			id = id*10 + uint64(s[i]-'0')
			if id > maxAckID {
				return 0, parseError("acknowledgement id out of range")
			}
			i++
		}
		p.ID, p.HasID = id, true
	}
	if i < len(s) {
		payload := trimJSON(s[i:])
		if !json.Valid(payload) {
			return 0, parseError("payload is not JSON")
		}
		p.Data = bytes.Clone(payload)
	}
	if err := checkPayload(p.Type, p.Data); err != nil {
		return 0, err
	}
	if n > 0 {
		if err := checkPlaceholders(p.Data, n); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// checkPayload checks that the payload has the shape the packet type
// requires (protocol v5, "Packet encoding").
func checkPayload(t PacketType, data []byte) error {
	var first byte
	if len(data) > 0 {
		first = data[0]
	}
	switch t {
	case PacketConnect:
		if data != nil && first != '{' {
			return parseError("CONNECT payload must be an object")
		}
	case PacketDisconnect:
		if data != nil {
			return parseError("DISCONNECT must not have a payload")
		}
	case PacketConnectError:
		if first != '{' && first != '"' {
			return parseError("CONNECT_ERROR payload must be an object or a string")
		}
	case PacketEvent:
		if first != '[' {
			return parseError("EVENT payload must be an array")
		}
		if err := checkEventName(data); err != nil {
			return err
		}
	case PacketAck:
		if first != '[' {
			return parseError("ACK payload must be an array")
		}
	}
	return nil
}

// checkEventName checks the first element of an event's payload, its
// name: a string that is not reserved, or a number.
func checkEventName(data []byte) error {
	i := skipSpace(data, 1)
	if i >= len(data) || data[i] == ']' {
		return parseError("EVENT payload must not be empty")
	}
	end, err := valueEnd(data, i)
	if err != nil {
		return parseError("EVENT payload: %v", err)
	}
	tok := data[i:end]
	switch c := tok[0]; {
	case c == '"' && bytes.IndexByte(tok, '\\') < 0:
		// The name is tok unquoted; looking it up makes no copy of it.
		if name := tok[1 : len(tok)-1]; reservedEvents[string(name)] {
			return parseError("reserved event name %q", name)
		}
		return nil
	case c == '"' || c == '-' || c >= '0' && c <= '9':
		_, err := nameOf(tok)
		return err
	}
	return parseError("event name must be a string or a number")
}

// nameOf returns the event name that tok, a JSON string or number, stands
// for, and an error for a reserved name.
func nameOf(tok []byte) (string, error) {
	if tok[0] == '"' {
		name, err := unquoteKey(tok)
		if err != nil {
			return "", parseError("event name: %v", err)
		}
		if reservedEvents[name] {
			return "", parseError("reserved event name %q", name)
		}
		return name, nil
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return "", parseError("event name: %v", err)
	}
	return formatNumber(f), nil
}

// formatNumber formats f as JavaScript's String(f) does for the numbers
// used as event names.
func formatNumber(f float64) string {
	if f == float64(int64(f)) && f > -1e21 && f < 1e21 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// checkPlaceholders checks every placeholder of a binary packet's payload:
// its num must designate one of the n attachments.
func checkPlaceholders(data []byte, n int) error {
	data = trimJSON(data)
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case '[':
		var perr error // the error of an element, as it is
		err := eachElem(data, func(e []byte) error {
			perr = checkPlaceholders(e, n)
			return perr
		})
		if perr != nil {
			return perr
		}
		if err != nil {
			return parseError("payload: %v", err)
		}
	case '{':
		_, ok, err := placeholder(data, n)
		if err != nil || ok {
			return err
		}
		return eachMember(data, func(_, v []byte) error {
			return checkPlaceholders(v, n)
		})
	}
	return nil
}

// placeholder reports whether the JSON object obj is a placeholder
// {"_placeholder":true,"num":N} and returns N, which must be less than n.
func placeholder(obj []byte, n int) (num int, ok bool, err error) {
	if !bytes.Contains(obj, []byte(`placeholder`)) && !bytes.Contains(obj, []byte(`\u`)) {
		return 0, false, nil
	}
	var numRaw []byte
	err = eachMember(obj, func(k, v []byte) error {
		key := k[1 : len(k)-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			s, err := unquoteKey(k)
			if err != nil {
				return err
			}
			key = []byte(s)
		}
		switch string(key) {
		case "_placeholder":
			ok = string(v) == "true"
		case "num":
			numRaw = v
		}
		return nil
	})
	if err != nil || !ok {
		return 0, false, err
	}
	f, perr := strconv.ParseFloat(string(numRaw), 64)
	if perr != nil || f != float64(int(f)) || f < 0 || int(f) >= n {
		return 0, true, parseError("illegal attachments: placeholder %s", obj)
	}
	return int(f), true, nil
}
