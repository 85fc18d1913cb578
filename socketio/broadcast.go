package socketio

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// A BroadcastOperator selects sockets of a namespace, by the rooms they
// are in, and acts on them all: Emit, EmitWithAck, FetchSockets,
// SocketsJoin, SocketsLeave, DisconnectSockets. Its methods that refine
// the selection (To, Except, Volatile, Local, Timeout) return a new
// operator and leave the receiver unchanged, so an operator can be kept
// and reused from any goroutine.
//
// A packet sent to many sockets is encoded once.
type BroadcastOperator struct {
	nsp    *Namespace
	rooms  []string // sockets in any of these, or every socket when empty
	except []string // minus the sockets in any of these
	flags  BroadcastFlags
}

func (b *BroadcastOperator) clone() *BroadcastOperator {
	c := *b
	return &c
}

// To adds rooms to the selection: the sockets in any of the rooms given
// to To (and In) are selected, each once.
func (b *BroadcastOperator) To(rooms ...string) *BroadcastOperator {
	c := b.clone()
	c.rooms = append(slices.Clip(b.rooms), rooms...)
	return c
}

// In is To.
func (b *BroadcastOperator) In(rooms ...string) *BroadcastOperator { return b.To(rooms...) }

// Except removes from the selection the sockets in any of the rooms.
func (b *BroadcastOperator) Except(rooms ...string) *BroadcastOperator {
	c := b.clone()
	c.except = append(slices.Clip(b.except), rooms...)
	return c
}

// Volatile marks the packets as ones that may be lost: a client whose
// send queue is full does not get them (Server.Dropped counts them),
// where it would otherwise be disconnected for being too slow.
func (b *BroadcastOperator) Volatile() *BroadcastOperator {
	c := b.clone()
	c.flags.Volatile = true
	return c
}

// Local restricts the selection to the sockets of this server, with an
// adapter that serves several.
func (b *BroadcastOperator) Local() *BroadcastOperator {
	c := b.clone()
	c.flags.Local = true
	return c
}

// Timeout sets the time EmitWithAck waits for the acknowledgements.
func (b *BroadcastOperator) Timeout(d time.Duration) *BroadcastOperator {
	c := b.clone()
	c.flags.Timeout = d
	return c
}

func (b *BroadcastOperator) options() BroadcastOptions {
	return BroadcastOptions{Rooms: b.rooms, Except: b.except, Flags: b.flags}
}

// Emit sends an event to the selected sockets, encoded as Socket.Emit
// encodes it. It returns once the packet is queued for each of them.
func (b *BroadcastOperator) Emit(event string, args ...any) error {
	p, err := eventPacket(event, args)
	if err != nil {
		return err
	}
	p.Namespace = b.nsp.name
	return b.nsp.adapter.Broadcast(p, b.options())
}

// EmitWithAck sends an event to the selected sockets and waits for each
// one's acknowledgement, until the Timeout or ctx's deadline, whichever
// comes first. It returns the first argument of each acknowledgement, in
// the order they came (a Raw with empty JSON for one without arguments).
// When some did not come in time, it returns those that did with an
// error that wraps context.DeadlineExceeded.
func (b *BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Raw, error) {
	timeout := b.flags.Timeout
	if dl, ok := ctx.Deadline(); ok && (timeout <= 0 || time.Until(dl) < timeout) {
		timeout = time.Until(dl)
	}
	if timeout <= 0 {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ErrNoTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	p, err := eventPacket(event, args)
	if err != nil {
		return nil, err
	}
	p.Namespace = b.nsp.name
	opts := b.options()
	opts.Flags.Timeout = timeout

	c := &ackCollector{servers: -1, done: make(chan struct{})}
	err = b.nsp.adapter.BroadcastWithAck(p, opts, c.clientCount, c.ack)
	if err != nil {
		return nil, err
	}
	n, err := b.nsp.adapter.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	c.setServers(n)
	select {
	case <-c.done:
		return c.result(), nil
	case <-ctx.Done():
		got, want := c.progress()
		return c.result(), fmt.Errorf("socketio: %d of %s acknowledgements: %w", got, want, ctx.Err())
	}
}

// An ackCollector gathers the acknowledgements of a broadcast: each
// server says how many clients it sent the packet to, and each client
// answers once.
type ackCollector struct {
	mu        sync.Mutex
	servers   int   // servers in the cluster, -1 until known; guarded by mu
	counted   int   // servers that gave their count; guarded by mu
	expected  int   // clients that were sent the packet; guarded by mu
	responses []Raw // guarded by mu
	finished  bool  // guarded by mu
	done      chan struct{}
}

func (c *ackCollector) clientCount(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expected += n
	c.counted++
	c.checkLocked()
}

func (c *ackCollector) ack(r Raw) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finished {
		return
	}
	c.responses = append(c.responses, r)
	c.checkLocked()
}

func (c *ackCollector) setServers(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.servers = n
	c.checkLocked()
}

func (c *ackCollector) checkLocked() {
	if !c.finished && c.servers >= 0 && c.counted >= c.servers && len(c.responses) >= c.expected {
		c.finished = true
		close(c.done)
	}
}

func (c *ackCollector) result() []Raw {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.finished = true
	return slices.Clone(c.responses)
}

func (c *ackCollector) progress() (got int, want string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.servers < 0 || c.counted < c.servers {
		return len(c.responses), "at least " + fmt.Sprint(c.expected)
	}
	return len(c.responses), fmt.Sprint(c.expected)
}

// FetchSockets returns the selected sockets, on every server.
func (b *BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	socks, err := b.nsp.adapter.FetchSockets(ctx, b.options())
	for _, s := range socks {
		s.nsp = b.nsp
	}
	return socks, err
}

// SocketsJoin makes the selected sockets join the rooms.
func (b *BroadcastOperator) SocketsJoin(rooms ...string) error {
	return b.nsp.adapter.AddSockets(b.options(), rooms)
}

// SocketsLeave makes the selected sockets leave the rooms.
func (b *BroadcastOperator) SocketsLeave(rooms ...string) error {
	return b.nsp.adapter.DelSockets(b.options(), rooms)
}

// DisconnectSockets disconnects the selected sockets, as
// Socket.Disconnect(close) does.
func (b *BroadcastOperator) DisconnectSockets(close bool) error {
	return b.nsp.adapter.DisconnectSockets(b.options(), close)
}
