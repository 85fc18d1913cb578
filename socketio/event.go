package socketio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sync/atomic"
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

	box *eventBox // what the event was allocated with, if received by a socket
}

// An eventBox holds an event received by a socket together with what it
// needs, in one allocation: the arguments when they are few, the state of
// its acknowledgement, and room for the slice of the first Values call.
type eventBox struct {
	ev       Event
	s        *Socket
	id       uint64      // the acknowledgement id, if the client asked for one
	acked    atomic.Bool // the acknowledgement is being sent or was sent
	valsUsed atomic.Bool // vals was handed out by Values
	args     [2]Raw
	vals     [2]any
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
	n := len(e.Args)
	var vs []any
	if b := e.box; b != nil && n <= len(b.vals) && b.valsUsed.CompareAndSwap(false, true) {
		vs = b.vals[:n:n]
	} else {
		vs = make([]any, n)
	}
	for i, a := range e.Args {
		vs[i] = a
	}
	return vs
}

// newEvent builds the Event of an EVENT packet, whose payload the Decoder
// has checked. With s, the event is one the socket received: when the
// packet has an id, its Ack answers the client, and a name equal to that
// of one of the socket's handlers is that handler's string rather than a
// copy.
func newEvent(p *Packet, s *Socket) (*Event, error) {
	var buf [8]json.RawMessage
	elems, err := appendArray(buf[:0], p.Data)
	if err != nil {
		return nil, parseError("EVENT payload: %v", err)
	}
	if len(elems) == 0 {
		return nil, parseError("EVENT payload must not be empty")
	}
	tok := elems[0]
	var name string
	if s != nil && tok[0] == '"' && bytes.IndexByte(tok, '\\') < 0 {
		name = s.handlerName(tok[1 : len(tok)-1])
	}
	if name == "" {
		if name, err = nameOf(tok); err != nil {
			return nil, err
		}
	}
	b := &eventBox{s: s}
	ev := &b.ev
	ev.Name, ev.box = name, b
	if n := len(elems) - 1; n <= len(b.args) {
		ev.Args = b.args[:n:n]
	} else {
		ev.Args = make([]Raw, n)
	}
	for i, e := range elems[1:] {
		ev.Args[i] = Raw{JSON: e, Attachments: p.Attachments, valid: true}
	}
	if s != nil && p.HasID {
		b.id = p.ID
		ev.Ack = func(args ...any) error { return b.ack(args) }
	}
	return ev, nil
}

// ack answers the client's event: only the first call sends, unless it
// fails to encode the arguments.
func (b *eventBox) ack(args []any) error {
	if !b.acked.CompareAndSwap(false, true) {
		return ErrNoAck
	}
	s := b.s
	buf := getBuffer()
	defer putBuffer(buf)
	h := Packet{Type: PacketAck, Namespace: s.nsp.name, ID: b.id, HasID: true}
	text, atts, err := h.appendArgsText(*buf, "", false, args)
	if err != nil {
		b.acked.Store(false)
		return err
	}
	*buf = text
	if !s.Connected() {
		return ErrDisconnected
	}
	return s.client.send(text, atts, false)
}

// ackArgs returns the arguments of an ACK packet.
func ackArgs(p *Packet) ([]Raw, error) {
	var buf [8]json.RawMessage
	elems, err := appendArray(buf[:0], p.Data)
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
	if err := checkReserved(event); err != nil {
		return nil, err
	}
	size := 64 + len(event)
	for _, a := range args {
		if r, ok := a.(Raw); ok {
			size += len(r.JSON) // forwarded arguments are common and cheap to measure
		}
	}
	p := &Packet{Type: PacketEvent}
	data, err := appendArgs(make([]byte, 0, size), event, true, args, &p.Attachments)
	if err != nil {
		return nil, err
	}
	p.Data = data
	return p, nil
}

// checkReserved returns an error wrapping ErrReservedEvent for an event
// that may not be emitted.
func checkReserved(event string) error {
	if reservedEvents[event] {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	return nil
}

// appendArgs appends the JSON array of the payload of an EVENT packet,
// [event, args...] when named, or of an ACK packet, [args...], with
// binary values moved to atts.
func appendArgs(b []byte, event string, named bool, args []any, atts *[][]byte) ([]byte, error) {
	b = append(b, '[')
	if named {
		b = appendString(b, event)
	}
	var err error
	for i, a := range args {
		if named || i > 0 {
			b = append(b, ',')
		}
		if b, err = appendValue(b, a, atts); err != nil {
			if named {
				return nil, fmt.Errorf("socketio: event %q: %w", event, err)
			}
			return nil, fmt.Errorf("socketio: acknowledgement: %w", err)
		}
	}
	return append(b, ']'), nil
}
