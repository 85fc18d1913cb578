package engineio

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Errors returned by Session's methods.
var (
	// ErrClosed is returned by Send and Close once the session is closing
	// or closed.
	ErrClosed = errors.New("engineio: session closed")

	// ErrQueueFull is returned by Send when the session already holds as
	// many messages for its client as Options.SendQueueMessages or
	// Options.SendQueueBytes allow: the client is not reading fast
	// enough. The message is not queued; the session stays open.
	ErrQueueFull = errors.New("engineio: send queue full")

	// ErrInvalidText is returned by Send for a text message that is not
	// valid UTF-8 or contains the record separator 0x1e, which the
	// polling transport uses between packets.
	ErrInvalidText = errors.New("engineio: text message is not valid UTF-8 or contains the record separator 0x1e")
)

// Errors passed to the OnClose callback with the reason "transport error"
// or "ping timeout", saying what happened.
var (
	errPingTimeout    = errors.New("engineio: no pong within the ping timeout")
	errPollOverlap    = errors.New("engineio: second GET request while one was pending")
	errPostOverlap    = errors.New("engineio: second POST request while one was being read")
	errPollAborted    = errors.New("engineio: the client abandoned a pending GET request")
	errBinaryPost     = errors.New("engineio: POST with Content-Type application/octet-stream, which protocol v4 does not use")
	errPayloadTooBig  = errors.New("engineio: POST payload larger than maxPayload")
	errPingFromClient = errors.New("engineio: ping packet from the client (in protocol v4 the server pings)")
)

// A reason is why a session closes: one of those passed to the OnClose
// callback, which are named as the reference server names them. A
// session keeps the number, not the string.
type reason uint8

const (
	reasonTransportClose reason = iota + 1 // the client closed the session or its connection
	reasonTransportError                   // the connection failed or the client broke a transport rule
	reasonPingTimeout                      // no pong within PingTimeout
	reasonParseError                       // the client sent an invalid packet
	reasonForcedClose                      // Session.Close
	reasonShutdown                         // Server.Shutdown
)

var reasonText = [...]string{
	reasonTransportClose: "transport close",
	reasonTransportError: "transport error",
	reasonPingTimeout:    "ping timeout",
	reasonParseError:     "parse error",
	reasonForcedClose:    "forced close",
	reasonShutdown:       "server shutting down",
}

func (r reason) String() string { return reasonText[r] }

// errorCode is an error code of the HTTP error responses of the reference
// server: 400 (403 for codeForbidden) with {"code":N,"message":"..."}.
type errorCode int

const (
	codeUnknownTransport errorCode = iota
	codeUnknownSID
	codeBadHandshakeMethod
	codeBadRequest
	codeForbidden
	codeUnsupportedProtocolVersion
)

var errorMessages = [...]string{
	codeUnknownTransport:           "Transport unknown",
	codeUnknownSID:                 "Session ID unknown",
	codeBadHandshakeMethod:         "Bad handshake method",
	codeBadRequest:                 "Bad request",
	codeForbidden:                  "Forbidden",
	codeUnsupportedProtocolVersion: "Unsupported protocol version",
}

// String returns the code's message in the reference server's words.
func (c errorCode) String() string {
	if c >= 0 && int(c) < len(errorMessages) {
		return errorMessages[c]
	}
	return "errorCode(" + strconv.Itoa(int(c)) + ")"
}

// writeError answers a request with the JSON error of code: 403 for
// codeForbidden and status 400 for the others, unless status is set.
// message replaces the code's own message when not empty.
func writeError(w http.ResponseWriter, code errorCode, status int, message string) {
	if status == 0 {
		status = http.StatusBadRequest
		if code == codeForbidden {
			status = http.StatusForbidden
		}
	}
	if message == "" {
		message = code.String()
	}
	body, _ := json.Marshal(struct {
		Code    errorCode `json:"code"`
		Message string    `json:"message"`
	}{code, message})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
