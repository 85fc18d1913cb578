package websocket

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
)

// deflateTail ends every compressed message on the wire once removed
// (RFC 7692, section 7.2.1). The reader puts it back and adds an empty
// final block, so that the decompressor ends with io.EOF.
var (
	deflateTail      = []byte{0x00, 0x00, 0xff, 0xff}
	deflateReadTrail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}
)

// deflateState is a connection's permessage-deflate state.
type deflateState struct {
	conn       *Conn
	params     deflateParams
	extensions string

	// Writing, guarded by the connection's msgLock.
	writeTakeover bool
	writeBits     int
	level         int
	threshold     int
	fw            *flate.Writer // this side's compressor while in use
	wdict         []byte        // with context takeover, the last window of what was sent
	wrote         atomic.Bool   // a message was compressed since the last sweep
	held          atomic.Bool   // fw is kept between messages and counted in heldCompressors
	sink          sinkBuffer
	pendingTail   bool // a streamed fragment held back its deflateTail

	// Reading, guarded by the connection's readLock.
	readTakeover bool
	dictSize     int
	dict         []byte        // the peer's window so far, with context takeover
	fr           io.ReadCloser // decompressor of the message being read, or nil
	src          bytes.Reader  // compressed input of Read
	stream       compressedSource
}

func newDeflateState(p deflateParams, extensions string, opts *CompressionOptions, client bool) *deflateState {
	d := &deflateState{params: p, extensions: extensions, level: opts.Level, threshold: opts.Threshold}
	if d.level == 0 {
		d.level = flate.BestSpeed
	}
	switch {
	case d.threshold == 0:
		d.threshold = defaultCompressionThreshold
	case d.threshold < 0:
		d.threshold = 0
	}
	readBits := p.clientMaxWindowBits
	if client {
		d.writeTakeover, d.writeBits = !p.clientNoContextTakeover, p.clientMaxWindowBits
		d.readTakeover, readBits = !p.serverNoContextTakeover, p.serverMaxWindowBits
	} else {
		d.writeTakeover, d.writeBits = !p.serverNoContextTakeover, p.serverMaxWindowBits
		d.readTakeover = !p.clientNoContextTakeover
	}
	// zlib cannot compress with an 8-bit window and uses 9 bits instead,
	// so keep at least 512 bytes of the peer's history.
	d.dictSize = 1 << max(readBits, 9)
	return d
}

// Compressors are pooled by window bits and level: a window under 15
// bits has its own compressor, which ignores the level.
var flateWriterPools [maxWindowBits + 1][flate.BestCompression + 1]sync.Pool

func getFlateWriter(bits, level int, w io.Writer) *flate.Writer {
	if bits < maxWindowBits {
		level = 0
	}
	pool := &flateWriterPools[bits][level]
	if v := pool.Get(); v != nil {
		fw := v.(*flate.Writer)
		// ResetDict, not Reset: Reset would prime the compressor with the
		// dictionary of the connection that used it last.
		fw.ResetDict(w, nil)
		return fw
	}
	var fw *flate.Writer
	if bits < maxWindowBits {
		fw, _ = flate.NewWriterWindow(w, 1<<bits)
	} else {
		fw, _ = flate.NewWriter(w, level)
	}
	return fw
}

func putFlateWriter(bits, level int, fw *flate.Writer) {
	if bits < maxWindowBits {
		level = 0
	}
	flateWriterPools[bits][level].Put(fw)
}

var flateReaderPool sync.Pool

func getFlateReader(r io.Reader, dict []byte) io.ReadCloser {
	if v := flateReaderPool.Get(); v != nil {
		fr := v.(io.ReadCloser)
		fr.(flate.Resetter).Reset(r, dict)
		return fr
	}
	return flate.NewReaderDict(r, dict)
}

// sinkBuffer collects compressed output in pooled buffers.
type sinkBuffer struct {
	buf *buffer
}

func (s *sinkBuffer) Write(p []byte) (int, error) {
	if s.buf == nil {
		s.buf = getMsgBuf(len(p))
	}
	if b := s.buf.b; len(b)+len(p) > cap(b) {
		bigger := getMsgBuf(len(b) + len(p))
		bigger.b = append(bigger.b, b...)
		putMsgBuf(s.buf)
		s.buf = bigger
	}
	s.buf.b = append(s.buf.b, p...)
	return len(p), nil
}

func (s *sinkBuffer) release() {
	if s.buf != nil {
		putMsgBuf(s.buf)
		s.buf = nil
	}
}

// compress compresses one whole message, or one fragment of a streamed
// message (fragment true), and returns the payload to send. It is valid
// until sink.release.
func (d *deflateState) compress(p []byte, fragment bool) ([]byte, error) {
	d.sink.buf = getMsgBuf(len(p)/2 + 64)
	if d.pendingTail {
		d.sink.buf.b = append(d.sink.buf.b, deflateTail...)
		d.pendingTail = false
	}
	if d.fw == nil {
		d.fw = getFlateWriter(d.writeBits, d.level, &d.sink)
		if d.writeTakeover && len(d.wdict) > 0 {
			d.fw.ResetDict(&d.sink, d.wdict)
		}
	}
	if d.writeTakeover {
		d.wrote.Store(true)
		d.rememberSent(p)
	}
	if _, err := d.fw.Write(p); err != nil {
		return nil, err
	}
	if err := d.fw.Flush(); err != nil {
		return nil, err
	}
	if !fragment {
		d.afterMessage()
	}
	out := d.sink.buf.b
	if !bytes.HasSuffix(out, deflateTail) {
		return nil, errors.New("websocket: compressor output lacks its sync marker")
	}
	out = out[:len(out)-len(deflateTail)]
	if fragment {
		// The marker goes out at the start of the next fragment, unless
		// this was the last one.
		d.pendingTail = true
	}
	return out, nil
}

// endStream finishes a streamed message: the held-back marker is
// dropped, and without context takeover the compressor goes back.
func (d *deflateState) endStream() {
	d.pendingTail = false
	if d.fw != nil {
		d.afterMessage()
	}
}

// afterMessage decides, once a message is compressed, whether the
// connection keeps its compressor: only with context takeover, and only
// while fewer than maxHeldCompressors are kept in the whole process;
// otherwise it goes back to the pool and the next message primes one
// from the saved window.
func (d *deflateState) afterMessage() {
	if d.writeTakeover {
		if d.held.Load() {
			return
		}
		if heldCompressors.Add(1) <= maxHeldCompressors {
			d.held.Store(true)
			holdCompressor(d.conn)
			return
		}
		heldCompressors.Add(-1)
	}
	putFlateWriter(d.writeBits, d.level, d.fw)
	d.fw = nil
}

// startInflate prepares the decompressor for a message read from r.
func (d *deflateState) startInflate(r io.Reader) {
	var dict []byte
	if d.readTakeover {
		dict = d.dict
	}
	d.fr = getFlateReader(r, dict)
}

// endInflate returns the decompressor to its pool.
func (d *deflateState) endInflate() {
	if d.fr != nil {
		flateReaderPool.Put(d.fr)
		d.fr = nil
	}
}

// remember appends decompressed output to the window kept for the next
// message, with context takeover.
func (d *deflateState) remember(p []byte) {
	if d.readTakeover {
		d.dict = appendWindow(d.dict, p, d.dictSize)
	}
}

// compressedSource is the decompressor's input while a compressed
// message is streamed: the payload of its frames, then the trailer.
type compressedSource struct {
	c     *Conn
	buf   [512]byte
	r, w  int
	trail int // bytes of deflateReadTrail already returned
}

func (s *compressedSource) Read(p []byte) (int, error) {
	if s.r == s.w {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.buf[s.r:s.w])
	s.r += n
	return n, nil
}

func (s *compressedSource) ReadByte() (byte, error) {
	if s.r == s.w {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	b := s.buf[s.r]
	s.r++
	return b, nil
}

// fill reads the next payload bytes of the message, across frames.
func (s *compressedSource) fill() error {
	c := s.c
	s.r, s.w = 0, 0
	for {
		if c.remaining == 0 && !c.inFrame {
			if !c.msgActive {
				if s.trail == len(deflateReadTrail) {
					return io.EOF
				}
				s.w = copy(s.buf[:], deflateReadTrail[s.trail:])
				s.trail += s.w
				return nil
			}
			if err := c.nextFrame(); err != nil {
				return err
			}
			continue
		}
		n, err := c.readPayload(s.buf[:])
		if err != nil {
			return err
		}
		if n > 0 {
			s.w = n
			return nil
		}
	}
}

// inflateMessage decompresses the message that Read assembled in msgBuf
// into a new buffer, refusing output past the read limit (RFC 7692,
// section 8.1: a small message may expand enormously).
func (c *Conn) inflateMessage() error {
	d := c.deflate
	in := c.msgBuf
	c.msgBuf = nil
	defer putMsgBuf(in)
	in.b = append(in.b, deflateReadTrail...)
	d.src.Reset(in.b)
	d.startInflate(&d.src)
	defer d.endInflate()
	limit := c.readLimit.Load()
	out := getMsgBuf(int(min(int64(len(in.b))*4, limit+1)))
	for {
		b := out.b
		if len(b) == cap(b) {
			if int64(len(b)) > limit {
				putMsgBuf(out)
				return c.fail(StatusMessageTooBig, "decompressed message exceeds the read limit of "+itoa64(limit)+" bytes")
			}
			bigger := getMsgBuf(int(min(int64(len(b))*2, limit+1)))
			bigger.b = append(bigger.b, b...)
			putMsgBuf(out)
			out = bigger
			b = out.b
		}
		n, err := d.fr.Read(b[len(b):cap(b)])
		out.b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			putMsgBuf(out)
			return c.fail(StatusInvalidFramePayloadData, "invalid compressed data: "+err.Error())
		}
	}
	if int64(len(out.b)) > limit {
		putMsgBuf(out)
		return c.fail(StatusMessageTooBig, "decompressed message exceeds the read limit of "+itoa64(limit)+" bytes")
	}
	if c.msgType == MessageText && !validUTF8(out.b) {
		putMsgBuf(out)
		return c.fail(StatusInvalidFramePayloadData, "invalid UTF-8 in text message")
	}
	d.remember(out.b)
	c.msgBuf = out
	return nil
}

// inflateStream reads decompressed bytes of the current message into p
// for the streaming reader; it returns io.EOF at the end of the message.
func (c *Conn) inflateStream(p []byte) (int, error) {
	d := c.deflate
	if d.fr == nil {
		d.stream.r, d.stream.w, d.stream.trail = 0, 0, 0
		d.startInflate(&d.stream)
	}
	n, err := d.fr.Read(p)
	if n > 0 {
		c.inflated += int64(n)
		if c.inflated > c.readLimit.Load() {
			d.endInflate()
			return 0, c.fail(StatusMessageTooBig, "decompressed message exceeds the read limit of "+itoa64(c.readLimit.Load())+" bytes")
		}
		if c.msgType == MessageText && !c.utf8.write(p[:n]) {
			d.endInflate()
			return 0, c.fail(StatusInvalidFramePayloadData, "invalid UTF-8 in text message")
		}
		d.remember(p[:n])
	}
	switch {
	case err == io.EOF:
		d.endInflate()
		if c.msgType == MessageText && !c.utf8.complete() {
			return n, c.fail(StatusInvalidFramePayloadData, "text message ends inside a UTF-8 sequence")
		}
		if n > 0 {
			return n, nil
		}
		return 0, io.EOF
	case err != nil:
		d.endInflate()
		var ce *CloseError
		var ne net.Error
		truncated := errors.Is(err, io.ErrUnexpectedEOF) && d.stream.trail < len(deflateReadTrail)
		if errors.As(err, &ce) || errors.As(err, &ne) || truncated || errors.Is(err, ErrClosed) {
			return n, err
		}
		return n, c.fail(StatusInvalidFramePayloadData, "invalid compressed data: "+err.Error())
	}
	return n, nil
}
