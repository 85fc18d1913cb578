//go:build linux

package websocket

import (
	"io"
	"net"
	"syscall"
)

// peekState is what a peek leaves for peekHead to read.
type peekState struct {
	n     int
	err   error
	recvf func(fd uintptr) bool // hb.recv, made once: a peek allocates nothing
}

func newHeadBuffer() *headBuffer {
	hb := new(headBuffer)
	hb.recvf = hb.recv
	return hb
}

// peekHead waits for the first bytes of c and copies into hb, without
// taking them off the socket, as many of them as arrived and fit. It
// returns the length of the request head they start with, or 0 when they
// hold no whole head. The read deadline of c bounds the wait.
func peekHead(c net.Conn, hb *headBuffer) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0, errNoPeek
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, errNoPeek
	}
	hb.n, hb.err = 0, nil
	err = rc.Read(hb.recvf)
	switch {
	case err != nil:
		return 0, err
	case hb.err != nil:
		return 0, hb.err
	case hb.n <= 0:
		return 0, io.EOF
	}
	return headEnd(hb.b[:hb.n]), nil
}

// recv is peekHead's function for RawConn.Read.
func (hb *headBuffer) recv(fd uintptr) bool {
	for {
		hb.n, _, hb.err = syscall.Recvfrom(int(fd), hb.b[:], syscall.MSG_PEEK)
		switch hb.err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // nothing yet: wait until readable
		}
		return true
	}
}
