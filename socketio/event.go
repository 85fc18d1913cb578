package socketio

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// A Raw is one argument as it travels: JSON text in which each binary
// value is a placeholder {"_placeholder":true,"num":N} referring to
// Attachments[N]. Received arguments share their packet's attachments.
//
// Raw is the way to handle arguments without fixing their Go type: a
// handler parameter of type Raw receives the argument untouched, Decode
// turns it into a Go value later, and a Raw passed to Emit is sent as it
// is, binary values included.
type Raw struct {
	JSON        json.RawMessage
	Attachments [][]byte

	valid bool // JSON came from a Decoder and needs no check
}

// Decode decodes the argument into v, a non-nil pointer, as json.Unmarshal
// does, with each placeholder turned back into its attachment where v
// holds a []byte or an interface value. A missing argument (empty JSON)
// leaves v unchanged.
func (r Raw) Decode(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &json.InvalidUnmarshalError{Type: reflect.TypeOf(v)}
	}
	if len(trimJSON(r.JSON)) == 0 {
		return nil
	}
	return decodeInto(r.JSON, rv.Elem(), r.Attachments)
}

// An AckFunc answers an event that asked for an acknowledgement: the
// arguments are sent back in an ACK packet (BINARY_ACK when they hold
// []byte values). Only the first call sends; later calls, and calls for
// an event that asked for no acknowledgement, return ErrNoAck.
type AckFunc func(args ...any) error

// An Event is an event received from a client, or from another server of
// the cluster for the handlers of Namespace.OnServerSideEmit.
type Event struct {
	Name string
	Args []Raw

	// Ack answers the sender; it is nil when the sender asked for no
	// acknowledgement.
	Ack AckFunc
}

// Decode decodes the arguments, in order, into the pointers in ptrs, as
// Raw.Decode does. Missing arguments leave their pointers unchanged; extra
// arguments are ignored.
func (e *Event) Decode(ptrs ...any) error {
	for i, p := range ptrs {
		if i >= len(e.Args) {
			break
		}
		if err := e.Args[i].Decode(p); err != nil {
			return fmt.Errorf("socketio: event %q argument %d: %w", e.Name, i, err)
		}
	}
	return nil
}

// Values returns the arguments as a []any of Raw values, ready to be sent
// on unchanged: s.Emit("echo", ev.Values()...) forwards an event, binary
// values included.
func (e *Event) Values() []any {
	vs := make([]any, len(e.Args))
	for i, a := range e.Args {
		vs[i] = a
	}
	return vs
}

// newEvent builds the Event of an EVENT packet, whose payload the Decoder
// has checked.
func newEvent(p *Packet) (*Event, error) {
	elems, err := splitArray(p.Data)
	if err != nil {
		return nil, parseError("EVENT payload: %v", err)
	}
	name, err := eventName(p.Data)
	if err != nil {
		return nil, err
	}
	ev := &Event{Name: name, Args: make([]Raw, len(elems)-1)}
	for i, e := range elems[1:] {
		ev.Args[i] = Raw{JSON: e, Attachments: p.Attachments, valid: true}
	}
	return ev, nil
}

// ackArgs returns the arguments of an ACK packet.
func ackArgs(p *Packet) ([]Raw, error) {
	elems, err := splitArray(p.Data)
	if err != nil {
		return nil, parseError("ACK payload: %v", err)
	}
	args := make([]Raw, len(elems))
	for i, e := range elems {
		args[i] = Raw{JSON: e, Attachments: p.Attachments, valid: true}
	}
	return args, nil
}

// eventPacket builds an EVENT packet for the main namespace: the payload
// is [event, args...], with binary values moved to attachments.
func eventPacket(event string, args []any) (*Packet, error) {
	if reservedEvents[event] {
		return nil, fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	var atts [][]byte
	b := make([]byte, 0, 64)
	b = append(b, '[')
	b = appendString(b, event)
	var err error
	for _, a := range args {
		b = append(b, ',')
		if b, err = appendValue(b, a, &atts); err != nil {
			return nil, fmt.Errorf("socketio: event %q: %w", event, err)
		}
	}
	b = append(b, ']')
	return &Packet{Type: PacketEvent, Data: b, Attachments: atts}, nil
}

// ackPacket builds the ACK packet answering id.
func ackPacket(nsp string, id uint64, args []any) (*Packet, error) {
	var atts [][]byte
	b := make([]byte, 0, 32)
	b = append(b, '[')
	var err error
	for i, a := range args {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendValue(b, a, &atts); err != nil {
			return nil, fmt.Errorf("socketio: acknowledgement: %w", err)
		}
	}
	b = append(b, ']')
	return &Packet{Type: PacketAck, Namespace: nsp, ID: id, HasID: true, Data: b, Attachments: atts}, nil
}
