package websocket

import (
	"context"
	"errors"
	"sync"
)

// A PreparedMessage is a message encoded once and written to many
// connections, for broadcast. Its frame is built the first time a kind of
// connection writes it and reused after: one uncompressed frame for every
// server connection, and one compressed frame per window size for server
// connections whose compression does not take context over (their output
// does not depend on earlier messages). Client connections mask each
// frame with a key of their own, and connections with context takeover
// compress with their own history, so those encode the message anew.
//
// A PreparedMessage is safe for concurrent use.
type PreparedMessage struct {
	typ  MessageType
	data []byte

	mu       sync.Mutex
	plain    []byte         // guarded by mu
	deflated map[int][]byte // by window bits<<4 | level; guarded by mu
}

// NewPreparedMessage prepares a message of type typ. data must not be
// modified afterwards.
func NewPreparedMessage(typ MessageType, data []byte) (*PreparedMessage, error) {
	if typ != MessageText && typ != MessageBinary {
		return nil, errors.New("websocket: NewPreparedMessage with invalid message type " + typ.String())
	}
	return &PreparedMessage{typ: typ, data: data}, nil
}

// WritePrepared writes a prepared message, as Write would write its data.
func (c *Conn) WritePrepared(ctx context.Context, pm *PreparedMessage) error {
	n := int64(len(pm.data))
	c.buffered.Add(n)
	defer c.buffered.Add(-n)
	if err := c.lockMsg(ctx); err != nil {
		return err
	}
	defer c.unlockMsg()
	return c.writePreparedLocked(ctx, pm)
}

// writePreparedLocked writes pm with the message lock held.
func (c *Conn) writePreparedLocked(ctx context.Context, pm *PreparedMessage) error {
	if c.client || (c.deflate != nil && c.deflate.writeTakeover && len(pm.data) >= c.deflate.threshold) {
		return c.writeMessageLocked(ctx, opcode(pm.typ), pm.data)
	}
	frame, err := c.sharedFrame(pm)
	if err != nil {
		return err
	}
	return c.writeEncoded(ctx, frame)
}

// sharedFrame returns pm's frame for a server connection whose frames do
// not depend on its history.
func (c *Conn) sharedFrame(pm *PreparedMessage) ([]byte, error) {
	if d := c.deflate; d != nil && len(pm.data) >= d.threshold {
		return pm.deflatedFrame(d.writeBits, d.level)
	}
	return pm.plainFrame(), nil
}

func (pm *PreparedMessage) plainFrame() []byte {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	if pm.plain == nil {
		pm.plain = encodeFrame(0, opcode(pm.typ), pm.data)
	}
	return pm.plain
}

func (pm *PreparedMessage) deflatedFrame(bits, level int) ([]byte, error) {
	key := bits<<4 | level
	pm.mu.Lock()
	defer pm.mu.Unlock()
	if f, ok := pm.deflated[key]; ok {
		return f, nil
	}
	d := &deflateState{writeBits: bits, level: level}
	payload, err := d.compress(pm.data, false)
	if err != nil {
		return nil, err
	}
	f := encodeFrame(bitRsv1, opcode(pm.typ), payload)
	d.sink.release()
	if pm.deflated == nil {
		pm.deflated = make(map[int][]byte)
	}
	pm.deflated[key] = f
	return f, nil
}

// encodeFrame builds an unmasked single-frame message.
func encodeFrame(rsv byte, op opcode, payload []byte) []byte {
	var hdr [maxHeaderSize]byte
	n := putHeader(hdr[:], true, rsv, op, len(payload), false, [4]byte{})
	frame := make([]byte, 0, n+len(payload))
	return append(append(frame, hdr[:n]...), payload...)
}
