package websocket

import (
	"context"
	"errors"
)

// A Message is one message of a batch written with WriteMessages.
type Message struct {
	Type MessageType // MessageText or MessageBinary
	Data []byte
}

// WriteMessages sends each of msgs as a message of its own, in order, as
// that many calls to Write would, but together: no other message goes
// between them, and small ones leave in one system call. It suits a
// server that drains a queue of messages for one client. ctx bounds the
// whole batch. When compression was negotiated, each message is
// compressed and written in turn.
//
// On an error, the messages before the failed one have been handed to the
// operating system; a failure that leaves a frame partly written closes
// the connection, as with Write.
func (c *Conn) WriteMessages(ctx context.Context, msgs []Message) error {
	var total int64
	for _, m := range msgs {
		if m.Type != MessageText && m.Type != MessageBinary {
			return errors.New("websocket: WriteMessages with invalid message type " + m.Type.String())
		}
		total += int64(len(m.Data))
	}
	c.buffered.Add(total)
	defer c.buffered.Add(-total)
	if err := c.lockMsg(ctx); err != nil {
		return err
	}
	defer c.unlockMsg()
	if c.deflate != nil {
		for _, m := range msgs {
			if err := c.writeMessageLocked(ctx, opcode(m.Type), m.Data); err != nil {
				return err
			}
		}
		return nil
	}
	if err := c.beginFrame(ctx, timeNone); err != nil {
		return err
	}
	defer c.unlockFrame()
	// Small frames go to the coalescing queue (coalesce.go) and leave
	// together at the end; a large one flushes the queue and follows it.
	c.batching = true
	for _, m := range msgs {
		written, err := c.writeFrameLocked(true, 0, opcode(m.Type), m.Data)
		if err != nil {
			c.batching = false
			return c.frameError(ctx, written, err)
		}
	}
	c.batching = false
	if err := c.flushLocked(); err != nil {
		return c.frameError(ctx, 0, err)
	}
	return nil
}
