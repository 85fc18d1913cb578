package socketio

import "errors"

// Errors returned by the package.
var (
	// ErrInvalidPacket is wrapped by every error the Decoder returns. The
	// server closes a connection that sends an invalid packet, with the
	// reason "parse error".
	ErrInvalidPacket = errors.New("socketio: invalid packet")

	// ErrNoAck is returned by an AckFunc that cannot send: the event did
	// not ask for an acknowledgement, or it was answered already.
	ErrNoAck = errors.New("socketio: no acknowledgement to send")

	// ErrReservedEvent is returned by Emit for the event names that the
	// protocol reserves: connect, connect_error, disconnect,
	// disconnecting, newListener and removeListener.
	ErrReservedEvent = errors.New("socketio: reserved event name")

	// ErrDisconnected is returned when the socket is, or becomes,
	// disconnected before the operation completes.
	ErrDisconnected = errors.New("socketio: socket disconnected")

	// ErrNoTimeout is returned by BroadcastOperator.EmitWithAck when
	// neither Timeout nor the context bounds the wait.
	ErrNoTimeout = errors.New("socketio: EmitWithAck to several sockets needs a Timeout or a context deadline")
)

// A ConnectError refuses a connection from a middleware with a message
// and data for the client: the client's connect_error event gets an
// Error whose message is Message and whose data is Data.
type ConnectError struct {
	Message string
	Data    any // encoded as JSON; nil for none
}

// Error returns the message.
func (e *ConnectError) Error() string { return e.Message }
