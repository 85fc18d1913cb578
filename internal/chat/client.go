package chat

import "context"

// A Client is a member of a Hub, from Join until it leaves, is dropped or
// the hub shuts down.
type Client struct {
	// Immutable after Join.
	hub  *Hub
	conn Conn
	name string

	// queue holds the messages waiting for the client. Sends happen
	// only under hub.mu while member is true; Shutdown closes it.
	queue chan []byte

	// stop is closed when the client is removed without flushing its
	// queue: it left, was too slow, or a write failed.
	stop chan struct{}

	// done is closed when the client's goroutine has ended.
	done chan struct{}

	// Guarded by hub.mu. The goroutine reads code and reason only after
	// queue or stop was closed, which orders it after their writes.
	member bool
	code   int
	reason string
}

// Name returns the name the client joined with.
func (c *Client) Name() string { return c.name }

// Leave removes the client from the room, typically because its
// connection ended. Messages still queued for it are dropped and its
// connection is not closed by the hub. Leave does not wait; see Done.
func (c *Client) Leave() {
	c.hub.mu.Lock()
	c.hub.removeLocked(c, 0, "", false)
	c.hub.mu.Unlock()
}

// Done returns a channel that is closed when the client's goroutine has
// ended: after it left and its write in progress returned, or after the
// hub closed its connection.
func (c *Client) Done() <-chan struct{} { return c.done }

// writeLoop is the client's goroutine: the only one that calls c.conn's
// methods. It writes queued messages until the client is removed, then
// closes the connection with the code the remover chose.
func (c *Client) writeLoop() {
	h := c.hub
	defer h.writers.Done()
	defer close(c.done)
	for c.writeNext(h) {
	}
	if c.code != 0 {
		if err := c.conn.Close(c.code, c.reason); err != nil {
			h.log.Debug("chat: closing client", "client", c.name, "code", c.code, "err", err)
		}
	}
}

// writeNext writes the next queued message and reports whether to go on.
// A removal that does not flush the queue wins over queued messages.
func (c *Client) writeNext(h *Hub) bool {
	select {
	case <-c.stop:
		return false
	default:
	}
	var msg []byte
	select {
	case <-c.stop:
		return false
	case m, ok := <-c.queue:
		if !ok {
			return false // flushed after Shutdown
		}
		msg = m
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.writeTimeout)
	err := c.conn.Send(ctx, msg)
	cancel()
	if err == nil {
		return true
	}
	// The connection is broken: leave the room without a close message.
	h.mu.Lock()
	wasMember := c.member
	h.removeLocked(c, 0, "", false)
	c.code = 0
	h.mu.Unlock()
	if wasMember {
		h.log.Info("chat: write failed; client removed", "client", c.name, "err", err)
	}
	return false
}
