package socketio

import (
	"fmt"
	"reflect"
)

// An eventHandler runs a handler given to On with a received event.
type eventHandler func(ev *Event) error

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
