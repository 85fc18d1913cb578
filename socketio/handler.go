package socketio

import (
	"fmt"
	"reflect"
)

// An eventHandler runs a handler given to On with a received event.
type eventHandler func(ev *Event) error

// A namedHandler is a handler of the events of one name. A socket keeps
// its handlers in a slice rather than a map by name: sockets have a few,
// and a map would be most of an idle socket's memory.
type namedHandler struct {
	event string
	h     eventHandler
}

var (
	ackFuncType = reflect.TypeFor[AckFunc]()
	eventPtr    = reflect.TypeFor[*Event]()
	errorType   = reflect.TypeFor[error]()
)

func noAck(...any) error { return ErrNoAck }

// makeHandler adapts a handler function. The accepted forms are described
// at Socket.On. It panics when fn is not one of them: that is a mistake in
// the program, found when the handler is registered.
func makeHandler(fn any) eventHandler {
	switch f := fn.(type) {
	case func(*Event):
		return func(ev *Event) error { f(ev); return nil }
	case func(*Event) error:
		return f
	case func():
		return func(*Event) error { f(); return nil }
	case func(...any):
		return func(ev *Event) error {
			args := make([]any, len(ev.Args))
			for i := range ev.Args {
				if err := ev.Args[i].Decode(&args[i]); err != nil {
					return fmt.Errorf("socketio: event %q argument %d: %w", ev.Name, i, err)
				}
			}
			f(args...)
			return nil
		}
	case nil:
		panic("socketio: nil handler")
	}
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func {
		panic(fmt.Sprintf("socketio: handler is a %s, not a function", t))
	}
	if t.NumOut() > 1 || t.NumOut() == 1 && t.Out(0) != errorType {
		panic(fmt.Sprintf("socketio: handler %s may return nothing or an error", t))
	}
	n := t.NumIn()
	withAck := n > 0 && t.In(n-1).Kind() == reflect.Func && t.In(n-1).ConvertibleTo(ackFuncType) && !t.IsVariadic()
	if withAck {
		n--
	}
	variadic := t.IsVariadic()
	for i := range n {
		if t.In(i) == eventPtr {
			panic(fmt.Sprintf("socketio: handler %s: *Event must be the only parameter", t))
		}
	}
	return func(ev *Event) error {
		in := make([]reflect.Value, 0, t.NumIn())
		for i := range n {
			pt := t.In(i)
			if variadic && i == n-1 {
				rest := ev.Args[min(i, len(ev.Args)):]
				s := reflect.MakeSlice(pt, len(rest), len(rest))
				for j := range rest {
					if err := rest[j].Decode(s.Index(j).Addr().Interface()); err != nil {
						return fmt.Errorf("socketio: event %q argument %d: %w", ev.Name, i+j, err)
					}
				}
				in = append(in, s)
				continue
			}
			p := reflect.New(pt)
			if i < len(ev.Args) {
				if err := ev.Args[i].Decode(p.Interface()); err != nil {
					return fmt.Errorf("socketio: event %q argument %d: %w", ev.Name, i, err)
				}
			}
			in = append(in, p.Elem())
		}
		if withAck {
			ack := ev.Ack
			if ack == nil {
				ack = noAck
			}
			in = append(in, reflect.ValueOf(ack).Convert(t.In(n)))
		}
		var out []reflect.Value
		if variadic {
			out = v.CallSlice(in)
		} else {
			out = v.Call(in)
		}
		if len(out) == 1 && !out[0].IsNil() {
			return fmt.Errorf("socketio: handler of %q: %w", ev.Name, out[0].Interface().(error))
		}
		return nil
	}
}

// On adds a handler for the event. handler is a function of one of these
// forms:
//
//	func(ev *Event)                   // the event as it came
//	func(a T1, b T2, ...)             // arguments decoded into the parameters
//	func(a T1, ..., ack AckFunc)      // the same, and the acknowledgement
//	func(a T1, rest ...T2)            // remaining arguments in a slice
//
// and may return an error, which is logged. Arguments are decoded as
// json.Unmarshal decodes them, with binary attachments going to []byte
// and interface values (see the package documentation); a parameter of
// type Raw takes the argument undecoded. Missing arguments leave their
// parameters zero; extra ones are ignored. An argument that does not
// decode is logged and the handler is not called. The ack parameter is
// any function type convertible to AckFunc; when the client asked for no
// acknowledgement it returns ErrNoAck.
//
// Several handlers for one event run in the order they were added. On
// panics if handler is not of these forms.
func (s *Socket) On(event string, handler any) {
	h := makeHandler(handler)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers = append(s.handlers, namedHandler{event, h})
}

// Off removes the handlers of the event.
func (s *Socket) Off(event string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A new slice: dispatch may be ranging over the old one.
	var kept []namedHandler
	for _, nh := range s.handlers {
		if nh.event != event {
			kept = append(kept, nh)
		}
	}
	s.handlers = kept
}

// OnAny adds a handler called with every event, before the handlers of
// the event's name.
func (s *Socket) OnAny(f func(ev *Event)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.anyHandlers = append(s.anyHandlers, f)
}

// OffAny removes the handlers added with OnAny.
func (s *Socket) OffAny() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.anyHandlers = nil
}

// OnDisconnecting adds a handler called when the socket disconnects,
// while it is still in its rooms.
func (s *Socket) OnDisconnecting(f func(reason string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDisconnecting = append(s.onDisconnecting, f)
}

// OnDisconnect adds a handler called when the socket has disconnected,
// with one of the Reason constants.
func (s *Socket) OnDisconnect(f func(reason string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDisconnect = append(s.onDisconnect, f)
}

// handlerName returns the event name of one of the socket's handlers
// equal to name, or "" when there is none.
func (s *Socket) handlerName(name []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, nh := range s.handlers {
		if nh.event == string(name) {
			return nh.event
		}
	}
	return ""
}

// dispatch runs the handlers of an event, on the dispatcher.
func (s *Socket) dispatch(ev *Event) {
	s.mu.Lock()
	if s.state != socketConnected {
		s.mu.Unlock()
		return // received before the disconnection, ignored after it
	}
	anys := s.anyHandlers
	hs := s.handlers
	s.mu.Unlock()
	for _, f := range anys {
		f(ev)
	}
	for _, nh := range hs {
		if nh.event != ev.Name {
			continue
		}
		if err := nh.h(ev); err != nil {
			s.nsp.srv.log.Warn("socketio: event not handled", "namespace", s.nsp.name, "socket", s.id, "err", err)
		}
	}
}
