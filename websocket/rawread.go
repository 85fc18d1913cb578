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
	for {
		n, err := sysRead(fd, buf.b)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			readBufPool.Put(buf)
			return false
		case err != nil:
			readBufPool.Put(buf)
			r.err = os.NewSyscallError("read", err)
		case n == 0:
			readBufPool.Put(buf)
			r.err = io.EOF
		default:
			r.buf, r.n = buf, n
		}
		return true
	}
}

// try reads into p once, never waiting: errWouldBlock says the socket
// held nothing.
func (r *rawReader) try(fd uintptr) bool {
	for {
		n, err := sysRead(fd, r.p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			r.err = errWouldBlock
		case err != nil:
			r.err = os.NewSyscallError("read", err)
		case n == 0:
			r.err = io.EOF
		default:
			r.n = n
		}
		return true
	}
}
