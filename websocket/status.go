package websocket

import (
	"errors"
	"fmt"
	"strconv"
)

// StatusCode is a close status code (RFC 6455, section 7.4).
type StatusCode int

// Status codes defined by RFC 6455, section 7.4.1, and the IANA registry.
const (
	StatusNormalClosure           StatusCode = 1000
	StatusGoingAway               StatusCode = 1001
	StatusProtocolError           StatusCode = 1002
	StatusUnsupportedData         StatusCode = 1003
	StatusNoStatusRcvd            StatusCode = 1005 // never sent: no code was in the close frame
	StatusAbnormalClosure         StatusCode = 1006 // never sent: the connection dropped without a close frame
	StatusInvalidFramePayloadData StatusCode = 1007
	StatusPolicyViolation         StatusCode = 1008
	StatusMessageTooBig           StatusCode = 1009
	StatusMandatoryExtension      StatusCode = 1010
	StatusInternalError           StatusCode = 1011
	StatusTLSHandshake            StatusCode = 1015 // never sent
)

var statusNames = map[StatusCode]string{
	StatusNormalClosure:           "normal closure",
	StatusGoingAway:               "going away",
	StatusProtocolError:           "protocol error",
	StatusUnsupportedData:         "unsupported data",
	StatusNoStatusRcvd:            "no status",
	StatusAbnormalClosure:         "abnormal closure",
	StatusInvalidFramePayloadData: "invalid payload data",
	StatusPolicyViolation:         "policy violation",
	StatusMessageTooBig:           "message too big",
	StatusMandatoryExtension:      "mandatory extension",
	StatusInternalError:           "internal error",
	StatusTLSHandshake:            "TLS handshake",
}

// String returns the code and its registered name, such as "1000 (normal closure)".
func (c StatusCode) String() string {
	if name, ok := statusNames[c]; ok {
		return strconv.Itoa(int(c)) + " (" + name + ")"
	}
	return strconv.Itoa(int(c))
}

// validOnWire reports whether c may appear in a close frame (RFC 6455,
// section 7.4): the defined codes 1000-1003 and 1007-1011, and the
// ranges 3000-3999 (registered) and 4000-4999 (private use). 1004, 1005,
// 1006 and 1015 are reserved and must never be sent.
func (c StatusCode) validOnWire() bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1011:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// A CloseError reports how a connection ended with a close frame.
//
// When Local is false, the peer sent the close frame with Code and Reason
// (Code is StatusNoStatusRcvd when its frame had no body). When Local is
// true, this side failed the connection because of what the peer sent (a
// protocol violation, invalid UTF-8, a message over the read limit) and
// sent Code and Reason to the peer.
type CloseError struct {
	Code   StatusCode
	Reason string
	Local  bool
}

func (e *CloseError) Error() string {
	who := "peer closed"
	if e.Local {
		who = "failed connection"
	}
	if e.Reason == "" {
		return fmt.Sprintf("websocket: %s: %v", who, e.Code)
	}
	return fmt.Sprintf("websocket: %s: %v: %s", who, e.Code, e.Reason)
}

// CloseStatus returns the code of the first *CloseError in err's chain, or
// -1 when there is none.
func CloseStatus(err error) StatusCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// Errors returned by Conn's methods.
var (
	// ErrClosed is returned by writes after the connection was closed
	// by this side, and by reads after CloseNow.
	ErrClosed = errors.New("websocket: use of closed connection")

	// ErrPongTimeout is returned once the keep-alive closed a connection
	// whose peer did not answer a ping within the pong timeout.
	ErrPongTimeout = errors.New("websocket: keep-alive ping not answered in time")

	// ErrWriteTimeout reports that a write stopped in the middle of a
	// frame because its context ended; the connection is closed, because
	// the peer can no longer find the frame boundaries.
	ErrWriteTimeout = errors.New("websocket: write interrupted mid-frame; connection closed")
)
