package engineio

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"
)

// recordSeparator joins the packets of a polling payload (spec: "Packet
// encoding", HTTP long-polling: "The packets are separated by the record
// separator character: \x1e").
const recordSeparator = 0x1e

// payloadLen returns the length of the payload that appendPayload makes
// of pkts.
func payloadLen(pkts []outPacket) int {
	n := 0
	for i, p := range pkts {
		if i > 0 {
			n++
		}
		if p.binary {
			n += 1 + base64.StdEncoding.EncodedLen(len(p.data))
		} else {
			n += len(p.data)
		}
	}
	return n
}

// appendPayload appends the polling payload of pkts to dst: the packets
// joined by the record separator, binary messages as 'b' and base64
// (spec: "Packet encoding", HTTP long-polling).
func appendPayload(dst []byte, pkts []outPacket) []byte {
	for i, p := range pkts {
		if i > 0 {
			dst = append(dst, recordSeparator)
		}
		if p.binary {
			dst = append(dst, binaryPrefix)
			dst = base64.StdEncoding.AppendEncode(dst, p.data)
		} else {
			dst = append(dst, p.data...)
		}
	}
	return dst
}

// decodePayload decodes the packets of a polling payload in order and
// calls yield with each, until yield returns false. A packet's data is
// valid only during the call. The payload must be valid UTF-8 text (it is
// text; binary messages are base64 in it); an empty payload or record is
// an error, as is any packet that decodePacket refuses. Packets before
// the first bad one have been yielded when the error is returned, as the
// reference server delivers them.
func decodePayload(body []byte, yield func(packet) bool) error {
	if !utf8.Valid(body) {
		return errBadUTF8
	}
	var scratch []byte
	for {
		rec := body
		i := bytes.IndexByte(body, recordSeparator)
		if i >= 0 {
			rec, body = body[:i], body[i+1:]
		}
		p, s, err := decodePacket(rec, scratch)
		scratch = s
		if err != nil {
			return err
		}
		if !yield(p) || i < 0 {
			return nil
		}
	}
}
