//go:build !linux

package websocket

import (
	"errors"
	"net"
)

// errNoPeek says that a connection cannot be looked at without reading
// it: here, none can.
var errNoPeek = errors.New("websocket: connection cannot be peeked")

// peekHead is Linux only: elsewhere Serve leaves every connection to
// net/http.
func peekHead(c net.Conn, buf []byte) (int, error) { return 0, errNoPeek }
