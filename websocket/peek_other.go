//go:build !linux

package websocket

import "net"

// peekHead is Linux only: elsewhere ServeListener leaves every connection
// to net/http.
func peekHead(c net.Conn, buf []byte) (int, error) { return 0, errNoPeek }
