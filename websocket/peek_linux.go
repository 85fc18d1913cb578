//go:build linux

package websocket

import (
	"io"
	"net"
	"syscall"
)

// peekHead waits for the first bytes of c and copies into buf, without
// taking them off the socket, as many of them as arrived and fit. It
// returns the length of the request head they start with, or 0 when they
// hold no whole head. The read deadline of c bounds the wait.
func peekHead(c net.Conn, buf []byte) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0, errNoPeek
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, errNoPeek
	}
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, _, rerr = syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK)
			switch rerr {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // nothing yet: wait until readable
			}
			return true
		}
	})
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, rerr
	case n <= 0:
		return 0, io.EOF
	}
	return headEnd(buf[:n]), nil
}
