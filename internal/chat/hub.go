package chat

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Close codes the hub sends. They are numbered as in RFC 6455, section
// 7.4.1, so that a WebSocket transport can pass them on unchanged; other
// transports map them to their own.
const (
	// StatusGoingAway closes every client when the hub shuts down.
	StatusGoingAway = 1001

	// StatusPolicyViolation closes a client that could not keep up.
	StatusPolicyViolation = 1008
)

// Close reasons that go with the codes.
const (
	ReasonShutdown = "server shutting down"
	ReasonTooSlow  = "too slow"
)

// Defaults for the zero fields of Options.
const (
	DefaultQueueSize    = 64
	DefaultWriteTimeout = 10 * time.Second
)

// ErrHubClosed is returned by Join once Shutdown has been called.
var ErrHubClosed = errors.New("chat: hub is shut down")

// A Conn is a client's connection as the hub sees it. The hub calls its
// methods from one goroutine per client, never from two at once.
type Conn interface {
	// Send writes one message. It returns when the message is written,
	// or with an error when ctx ends or the connection fails.
	Send(ctx context.Context, msg []byte) error

	// Close ends the connection with a close code and reason, such as
	// StatusGoingAway and ReasonShutdown. It must return within a bounded
	// time.
	Close(code int, reason string) error
}

// Options configures a Hub. A nil *Options means the defaults.
type Options struct {
	// QueueSize is how many messages may wait for one client before
	// the client counts as too slow; 0 means DefaultQueueSize.
	QueueSize int

	// WriteTimeout bounds each Conn.Send; 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration

	// Welcome, if not nil, is the first message every client receives.
	Welcome []byte

	// Logger receives a line for every client dropped as too slow or
	// after a failed write; nil means slog.Default().
	Logger *slog.Logger
}

// A Hub is a chat room: what one member broadcasts, every member
// receives. Create one with NewHub.
type Hub struct {
	// Immutable after NewHub.
	queueSize    int
	writeTimeout time.Duration
	welcome      []byte
	log          *slog.Logger
	ctx          context.Context // ends when Shutdown gives up waiting
	cancel       context.CancelFunc

	mu      sync.Mutex
	clients map[*Client]struct{} // the members; guarded by mu
	closed  bool                 // Shutdown was called; guarded by mu
	writers sync.WaitGroup       // one per client goroutine; Add only under mu while !closed
}

// NewHub returns an empty hub.
func NewHub(opts *Options) *Hub {
	if opts == nil {
		opts = &Options{}
	}
	h := &Hub{
		queueSize:    opts.QueueSize,
		writeTimeout: opts.WriteTimeout,
		log:          opts.Logger,
		clients:      make(map[*Client]struct{}),
	}
	if h.queueSize <= 0 {
		h.queueSize = DefaultQueueSize
	}
	if h.writeTimeout <= 0 {
		h.writeTimeout = DefaultWriteTimeout
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if opts.Welcome != nil {
		h.welcome = append([]byte(nil), opts.Welcome...)
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h
}

// Join adds a member whose messages go to conn, and starts the goroutine
// that writes them. name identifies the client in log lines (a remote
// address, say). It returns ErrHubClosed after Shutdown.
func (h *Hub) Join(name string, conn Conn) (*Client, error) {
	c := &Client{
		hub:   h,
		conn:  conn,
		name:  name,
		queue: make(chan []byte, h.queueSize),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrHubClosed
	}
	if h.welcome != nil {
		c.queue <- h.welcome
	}
	h.clients[c] = struct{}{}
	c.member = true
	h.writers.Add(1)
	go c.writeLoop()
	return c, nil
}

// Broadcast queues msg for every member and returns how many members it
// was queued for. It never waits for a client: a member whose queue is
// full is dropped (see the package documentation). Broadcast keeps a
// copy of msg, so the caller may reuse it.
func (h *Hub) Broadcast(msg []byte) int {
	msg = append([]byte(nil), msg...)
	type drop struct {
		name    string
		dropped int
	}
	var drops []drop
	n := 0
	h.mu.Lock()
	for c := range h.clients {
		select {
		case c.queue <- msg:
			n++
		default:
			// This message and the queued ones are lost for c.
			drops = append(drops, drop{c.name, len(c.queue) + 1})
			h.removeLocked(c, StatusPolicyViolation, ReasonTooSlow, false)
		}
	}
	h.mu.Unlock()
	for _, d := range drops {
		h.log.Warn("chat: client too slow; disconnecting",
			"client", d.name, "dropped", d.dropped, "code", StatusPolicyViolation)
	}
	return n
}

// Len returns the number of members.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// Shutdown refuses new members, has every member's goroutine write what
// is queued for it and close the connection with StatusGoingAway, and
// waits until all of them have finished or ctx ends. In the latter case
// it interrupts the writes still in progress and returns ctx's error; the
// Conn.Close calls in progress then end on their own bounded time.
// Calling Shutdown again waits again.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	for c := range h.clients {
		h.removeLocked(c, StatusGoingAway, ReasonShutdown, true)
	}
	h.mu.Unlock()

	done := make(chan struct{})
	go func() {
		h.writers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		h.cancel()
		return ctx.Err()
	}
}

// removeLocked takes c out of the room and tells its goroutine to close
// the connection with code and reason (none when code is 0). With flush,
// the goroutine first writes what is already queued. h.mu must be held.
func (h *Hub) removeLocked(c *Client, code int, reason string, flush bool) {
	if !c.member {
		return
	}
	delete(h.clients, c)
	c.member = false
	c.code, c.reason = code, reason
	if flush {
		// Nothing sends on c.queue once c is not a member: every send
		// happens under h.mu after checking membership.
		close(c.queue)
	} else {
		close(c.stop)
	}
}
