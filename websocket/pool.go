package websocket

import "sync"

// buffer is a pooled byte slice. Pools hold *buffer so that Put does not
// allocate.
type buffer struct{ b []byte }

// Buffer sizes. A read buffer is taken only while bytes are waiting, and a
// write buffer only while a frame is being written, so an idle connection
// holds neither.
const (
	readBufferSize  = 4096
	writeBufferSize = 4096 + maxHeaderSize
	// bigReadBufferSize is the read buffer of a served connection that
	// receives large messages: one read brings several, which are then
	// handed over where they lie.
	bigReadBufferSize = 64 << 10
)

var (
	readBufPool    = sync.Pool{New: func() any { return &buffer{b: make([]byte, readBufferSize)} }}
	bigReadBufPool = sync.Pool{New: func() any { return &buffer{b: make([]byte, bigReadBufferSize)} }}
	writeBufPool   = sync.Pool{New: func() any { return &buffer{b: make([]byte, writeBufferSize)} }}
)

// Message buffers come in power-of-two classes from 4 KiB to 16 MiB, so a
// steady stream of messages of one size reuses the same buffers.
const (
	minMsgClassShift = 12
	maxMsgClassShift = 24
)

var msgBufPools [maxMsgClassShift - minMsgClassShift + 1]sync.Pool

// msgClass returns the class index for a buffer of at least n bytes, or
// -1 when n is above the largest class.
func msgClass(n int) int {
	for c := 0; c <= maxMsgClassShift-minMsgClassShift; c++ {
		if n <= 1<<(c+minMsgClassShift) {
			return c
		}
	}
	return -1
}

// getMsgBuf returns a buffer with capacity for at least n bytes and
// length 0.
func getMsgBuf(n int) *buffer {
	c := msgClass(n)
	if c < 0 {
		return &buffer{b: make([]byte, 0, n)}
	}
	if v := msgBufPools[c].Get(); v != nil {
		buf := v.(*buffer)
		buf.b = buf.b[:0]
		return buf
	}
	return &buffer{b: make([]byte, 0, 1<<(c+minMsgClassShift))}
}

// putMsgBuf returns buf to its class's pool; buffers that fit no class
// exactly are left to the garbage collector.
func putMsgBuf(buf *buffer) {
	c := msgClass(cap(buf.b))
	if c < 0 || cap(buf.b) != 1<<(c+minMsgClassShift) {
		return
	}
	msgBufPools[c].Put(buf)
}
