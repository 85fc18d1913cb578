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
	if binary {
		if d.partial == nil {
			d.Reset()
			return nil, parseError("binary message without a binary packet")
		}
		p := d.partial
		p.Attachments = append(p.Attachments, bytes.Clone(data))
		if len(p.Attachments) < d.want {
			return nil, nil
		}
		d.partial = nil
		return p, nil
	}
	if d.partial != nil {
		d.Reset()
		return nil, parseError("text message while a binary packet waits for %d attachments", d.want)
	}
	p, n, err := d.decodeText(data)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		p.Attachments = make([][]byte, 0, n)
		d.partial, d.want = p, n
		return nil, nil
	}
	return p, nil
}

// Reset drops a partly received binary packet.
func (d *Decoder) Reset() {
	d.partial, d.want = nil, 0
}

// decodeText parses the text form of a packet. n is the number of
// attachments that must follow.
func (d *Decoder) decodeText(s []byte) (p *Packet, n int, err error) {
	if len(s) == 0 {
		return nil, 0, parseError("empty message")
	}
	t := PacketType(s[0] - '0')
	if s[0] < '0' || t > PacketBinaryAck {
		return nil, 0, parseError("unknown packet type %q", s[0])
	}
	p = &Packet{Type: t, Namespace: "/"}
	i := 1
	if t == PacketBinaryEvent || t == PacketBinaryAck {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' && j-i < 9 {
			j++
		}
		if j == i || j >= len(s) || s[j] != '-' {
			return nil, 0, parseError("illegal attachments")
		}
		n, _ = strconv.Atoi(string(s[i:j]))
		max := d.MaxAttachments
		if max <= 0 {
			max = DefaultMaxAttachments
		}
		if n < 1 {
			return nil, 0, parseError("illegal attachments")
		}
		if n > max {
			return nil, 0, parseError("too many attachments (%d, at most %d)", n, max)
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
				return nil, 0, parseError("acknowledgement id out of range")
			}
			i++
		}
		p.ID, p.HasID = id, true
	}
	if i < len(s) {
		payload := trimJSON(s[i:])
		if !json.Valid(payload) {
			return nil, 0, parseError("payload is not JSON")
		}
		p.Data = bytes.Clone(payload)
	}
	if err := checkPayload(p.Type, p.Data); err != nil {
		return nil, 0, err
	}
	if n > 0 {
		if err := checkPlaceholders(p.Data, n); err != nil {
			return nil, 0, err
		}
	}
	return p, n, nil
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
		if _, err := eventName(data); err != nil {
			return err
		}
	case PacketAck:
		if first != '[' {
			return parseError("ACK payload must be an array")
		}
	}
	return nil
}

// eventName returns the name of an event from its payload: the first
// element, a string that is not reserved or a number.
func eventName(data []byte) (string, error) {
	i := skipSpace(data, 1)
	if i >= len(data) || data[i] == ']' {
		return "", parseError("EVENT payload must not be empty")
	}
	end, err := valueEnd(data, i)
	if err != nil {
		return "", parseError("EVENT payload: %v", err)
	}
	first := data[i:end]
	switch c := first[0]; {
	case c == '"':
		name, err := unquoteKey(first)
		if err != nil {
			return "", parseError("event name: %v", err)
		}
		if reservedEvents[name] {
			return "", parseError("reserved event name %q", name)
		}
		return name, nil
	case c == '-' || c >= '0' && c <= '9':
		f, err := strconv.ParseFloat(string(first), 64)
		if err != nil {
			return "", parseError("event name: %v", err)
		}
		return formatNumber(f), nil
	}
	return "", parseError("event name must be a string or a number")
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
		elems, err := splitArray(data)
		if err != nil {
			return parseError("payload: %v", err)
		}
		for _, e := range elems {
			if err := checkPlaceholders(e, n); err != nil {
				return err
			}
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
		key, err := unquoteKey(k)
		if err != nil {
			return err
		}
		switch key {
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
