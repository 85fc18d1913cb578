//go:build !linux

package websocket

import "net"

// peekState is empty: peekHead peeks nothing here.
type peekState struct{}

func newHeadBuffer() *headBuffer { return new(headBuffer) }

// peekHead is Linux only: elsewhere ServeListener leaves every connection
// to net/http.
func peekHead(c net.Conn, hb *headBuffer) (int, error) { return 0, errNoPeek }
