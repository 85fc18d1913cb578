package websocket

import (
	"io"
	"os"
	"sync"
	"syscall"
)

// A rawReader carries one read through syscall.RawConn.Read, whose
// callback gets nothing but the descriptor. Its callbacks are method
// values made once per pooled rawReader: made per read, they would
// allocate, and kept per connection, they would cost every connection
// their memory for its whole life. A connection holds a rawReader only
// while it reads, or waits in fillRaw for bytes to read.
type rawReader struct {
	p   []byte  // where try reads
	buf *buffer // what wait read into
	n   int     // bytes read
	err error

	waitFn func(fd uintptr) bool // wait
	tryFn  func(fd uintptr) bool // try
}

var rawReaderPool = sync.Pool{New: func() any {
	r := new(rawReader)
	r.waitFn, r.tryFn = r.wait, r.try
	return r
}}

func getRawReader() *rawReader { return rawReaderPool.Get().(*rawReader) }

func putRawReader(r *rawReader) {
	r.p, r.buf, r.n, r.err = nil, nil, 0, nil
	rawReaderPool.Put(r)
}

// wait reads into a pooled read buffer once the socket is readable; it
// returns false, holding no buffer, to wait for readiness.
func (r *rawReader) wait(fd uintptr) bool {
	buf := readBufPool.Get().(*buffer)
	n, err := readSocket(fd, buf.b)
	switch {
	case err == errWouldBlock:
		readBufPool.Put(buf)
		return false
	case err != nil:
		readBufPool.Put(buf)
		r.err = err
	default:
		r.buf, r.n = buf, n
	}
	return true
}

// try reads into p once, never waiting: errWouldBlock says the socket
// held nothing.
func (r *rawReader) try(fd uintptr) bool {
	r.n, r.err = readSocket(fd, r.p)
	return true
}

// readSocket is one read(2) of the socket fd into p, retried when a
// signal interrupts it: errWouldBlock when the socket holds nothing,
// io.EOF when the peer closed its side.
func readSocket(fd uintptr, p []byte) (int, error) {
	for {
		n, err := sysRead(fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, errWouldBlock
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
