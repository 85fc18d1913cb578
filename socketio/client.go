package socketio

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/internal/timers"
)

// A client is one Engine.IO session and its sockets, one per namespace it
// joined.
//
// Packets are decoded on the session's delivery goroutine (onMessage,
// which the session calls one at a time). Acknowledgements are handled
// there at once, so that a handler waiting in EmitWithAck gets its answer;
// everything else (connections, events, disconnections) is queued and run
// in order by a dispatcher goroutine that exists while there is work, so
// that handlers may block without stopping the session.
type client struct {
	srv  *Server
	sess *engineio.Session
	dec  Decoder // used by onMessage only

	sendMu sync.Mutex // held while the messages of one packet are queued, so that packets never interleave

	// A client is in a few namespaces at most, so sockets, connecting and
	// gone are slices: maps would be most of an idle client's memory.
	mu         sync.Mutex
	sockets    []*Socket     // connected sockets, one per namespace; guarded by mu
	connecting names         // namespaces whose CONNECT is in the middlewares; guarded by mu
	gone       names         // namespaces the server disconnected the client from; guarded by mu
	joined     bool          // a namespace was joined once; guarded by mu
	closed     bool          // guarded by mu
	running    bool          // a dispatcher goroutine is running queue; guarded by mu
	connectDue timers.Entry  // the connect timeout, in Server.connectTimeouts
	queue      []work        // work for the dispatcher, oldest first; guarded by mu
	pending    int           // queued packets, at most Options.MaxPendingEvents (see takeSlot); guarded by mu
	slotFreed  chan struct{} // closed when a packet leaves a full queue, if reading waits for that; guarded by mu
}

// names is a small set of namespace names.
type names []string

func (n names) has(name string) bool { return slices.Contains(n, name) }

func (n *names) add(name string) {
	if !n.has(name) {
		*n = append(*n, name)
	}
}

func (n *names) del(name string) { *n = without(*n, name) }

// without returns s without its first element equal to v, and nil once
// s is empty. It changes s in place: s must not be shared.
func without[S ~[]E, E comparable](s S, v E) S {
	if i := slices.Index(s, v); i >= 0 {
		s = slices.Delete(s, i, i+1)
	}
	if len(s) == 0 {
		return nil
	}
	return s
}

// A work is what the dispatcher runs: f, or the handlers of a received
// event (without a closure for each).
type work struct {
	f      func()
	ev     *eventBox // when f is nil
	packet bool      // holds a token of slots
}

func newClient(srv *Server, sess *engineio.Session) *client {
	return &client{
		srv:  srv,
		sess: sess,
		dec:  Decoder{MaxAttachments: srv.opts.MaxAttachments},
	}
}

func (c *client) startConnectTimer(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.joined {
		return
	}
	c.srv.connectTimeouts.Schedule(c, d)
}

// connectTimedOut closes a client that joined no namespace in time.
func (c *client) connectTimedOut() {
	c.mu.Lock()
	idle := !c.joined && !c.closed
	c.mu.Unlock()
	if idle {
		c.srv.log.Debug("socketio: no namespace joined in time", "session", c.sess.ID())
		c.close(ReasonForcedServerClose)
	}
}

// connectTimeoutEntry returns the place of c in Server.connectTimeouts.
func connectTimeoutEntry(c *client) *timers.Entry { return &c.connectDue }

// onMessage handles a message of the session.
func (c *client) onMessage(data []byte, binary bool) {
	var p Packet // on the stack: handle keeps fields of p, never p
	ok, err := c.dec.decode(&p, data, binary)
	if err != nil {
		c.fail(ReasonParseError, err)
		return
	}
	if ok {
		c.handle(&p)
	}
}

func (c *client) handle(p *Packet) {
	switch p.Type {
	case PacketConnect:
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		if c.socketLocked(p.Namespace) != nil || c.connecting.has(p.Namespace) {
			c.mu.Unlock()
			c.fail(ReasonForcedServerClose, fmt.Errorf("CONNECT to %s, already connected", p.Namespace))
			return
		}
		c.connecting.add(p.Namespace)
		c.gone.del(p.Namespace)
		c.mu.Unlock()
		var auth map[string]any // nil for none: the handshake, if asked for, makes it empty
		if p.Data != nil {
			if err := json.Unmarshal(p.Data, &auth); err != nil {
				c.fail(ReasonParseError, err)
				return
			}
		}
		nsp := p.Namespace
		c.enqueue(work{f: func() { c.connect(nsp, auth) }, packet: true})

	case PacketEvent:
		s := c.socket(p.Namespace)
		if s == nil {
			if !c.strayPacket(p.Namespace) {
				c.fail(ReasonForcedServerClose, fmt.Errorf("EVENT for %s, not connected", p.Namespace))
			}
			return
		}
		ev, err := newEvent(p, s)
		if err != nil {
			c.fail(ReasonParseError, err)
			return
		}
		c.enqueue(work{ev: ev.box, packet: true})

	case PacketAck:
		s := c.socket(p.Namespace)
		if s == nil {
			if !c.strayPacket(p.Namespace) {
				c.fail(ReasonForcedServerClose, fmt.Errorf("ACK for %s, not connected", p.Namespace))
			}
			return
		}
		if err := s.onAck(p); err != nil {
			c.fail(ReasonParseError, err)
		}

	case PacketDisconnect:
		c.mu.Lock()
		s := c.socketLocked(p.Namespace)
		c.removeLocked(s)
		c.mu.Unlock()
		if s == nil {
			if !c.strayPacket(p.Namespace) {
				c.fail(ReasonForcedServerClose, fmt.Errorf("DISCONNECT from %s, not connected", p.Namespace))
			}
			return
		}
		// At once, as the reference server does: events still waiting
		// for the handlers are dropped, and acknowledgements awaited from
		// the client fail, so that handlers waiting for them return.
		s.close(ReasonClientNamespaceDisconnect)

	default:
		c.fail(ReasonForcedServerClose, fmt.Errorf("%v packet from a client", p.Type))
	}
}

func (c *client) socket(nsp string) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.socketLocked(nsp)
}

// socketLocked returns the client's socket in namespace nsp, or nil.
func (c *client) socketLocked(nsp string) *Socket {
	for _, s := range c.sockets {
		if s.nsp.name == nsp {
			return s
		}
	}
	return nil
}

// removeLocked forgets s, if it is one of the client's sockets.
func (c *client) removeLocked(s *Socket) { c.sockets = without(c.sockets, s) }

// strayPacket reports whether a packet for a namespace the client is not
// connected to should be ignored rather than close the connection: the
// server disconnected the client from that namespace, and the client sent
// the packet before it learnt it.
func (c *client) strayPacket(nsp string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gone.has(nsp)
}

// left records that the server disconnected the client from nsp.
func (c *client) left(nsp string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gone.add(nsp)
}

// connect runs the middlewares of a namespace for a CONNECT packet, on the
// dispatcher.
func (c *client) connect(name string, auth map[string]any) {
	var nsp *Namespace
	for range 3 { // a child namespace may be removed between lookup and reserve
		if nsp = c.srv.lookup(name, auth); nsp == nil || nsp.reserve() {
			break
		}
		nsp = nil
	}
	if nsp == nil {
		c.mu.Lock()
		c.connecting.del(name)
		c.mu.Unlock()
		c.sendPacket(&Packet{Type: PacketConnectError, Namespace: name, Data: json.RawMessage(`{"message":"Invalid namespace"}`)}, false)
		return
	}
	s := newSocket(nsp, c, auth)
	nsp.runMiddlewares(s, func(err error) { c.finishConnect(s, err) })
}

// finishConnect completes a connection once the middlewares are done.
func (c *client) finishConnect(s *Socket, err error) {
	name := s.nsp.name
	c.mu.Lock()
	c.connecting.del(name)
	closed := c.closed
	c.mu.Unlock()
	if closed || err != nil {
		s.nsp.release()
		if !closed {
			c.sendPacket(connectErrorPacket(name, err), false)
		}
		return
	}
	s.nsp.add(s)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		s.nsp.remove(s)
		return
	}
	c.sockets = append(c.sockets, s)
	c.joined = true
	c.srv.connectTimeouts.Stop(c)
	s.setConnected()
	c.mu.Unlock()
	s.onConnect()
}

// connectErrorPacket answers a CONNECT that a middleware refused:
// {"message":..., "data":...} with the data of a *ConnectError.
func connectErrorPacket(nsp string, err error) *Packet {
	payload := struct {
		Message string `json:"message"`
		Data    any    `json:"data,omitempty"`
	}{Message: err.Error()}
	var ce *ConnectError
	if errors.As(err, &ce) {
		payload.Message, payload.Data = ce.Message, ce.Data
	}
	data, merr := json.Marshal(payload)
	if merr != nil {
		data, _ = json.Marshal(struct {
			Message string `json:"message"`
		}{payload.Message})
	}
	return &Packet{Type: PacketConnectError, Namespace: nsp, Data: data}
}

// sendPacket encodes p and sends it.
func (c *client) sendPacket(p *Packet, volatile bool) error {
	buf := getBuffer()
	defer putBuffer(buf)
	text, err := p.appendText(*buf)
	if err != nil {
		return err
	}
	*buf = text
	return c.send(text, p.Attachments, volatile)
}

// sendArgs sends a packet with h's type (PacketEvent or PacketAck),
// namespace and id, whose payload appendArgs makes of event and args.
func (c *client) sendArgs(h *Packet, event string, named bool, args []any, volatile bool) error {
	buf := getBuffer()
	defer putBuffer(buf)
	text, atts, err := h.appendArgsText(*buf, event, named, args)
	if err != nil {
		return err
	}
	*buf = text
	return c.send(text, atts, volatile)
}

// send queues the messages of one packet on the session: its text, then
// its attachments. When the session's queue is full, a volatile packet is
// dropped if none of it was queued; otherwise the client cannot keep up
// (or would get half a packet) and is disconnected.
func (c *client) send(text []byte, atts [][]byte, volatile bool) error {
	c.sendMu.Lock()
	err := c.sess.Send(text, false)
	n := 0 // messages queued
	if err == nil {
		n++
		for _, a := range atts {
			if err = c.sess.Send(a, true); err != nil {
				break
			}
			n++
		}
	}
	c.sendMu.Unlock()
	if err == nil || !errors.Is(err, engineio.ErrQueueFull) {
		return err
	}
	if volatile && n == 0 {
		c.srv.dropped.Add(1)
		return err
	}
	c.srv.log.Warn("socketio: send queue full, disconnecting a slow client", "session", c.sess.ID())
	c.close(ReasonForcedServerClose)
	return err
}

// fail closes a client that broke the protocol.
func (c *client) fail(reason string, err error) {
	c.srv.log.Debug("socketio: closing a client", "session", c.sess.ID(), "reason", reason, "err", err)
	c.close(reason)
}

// close disconnects every socket with reason and closes the session.
func (c *client) close(reason string) {
	c.closeSockets(reason)
	c.sess.Close()
}

// closeSockets marks the client closed and disconnects its sockets. Only
// the first call has an effect.
func (c *client) closeSockets(reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.srv.connectTimeouts.Stop(c)
	socks := c.sockets
	c.sockets = nil
	c.mu.Unlock()
	for _, s := range socks {
		s.close(reason)
	}
}

// onClose is called by the session when it ends.
func (c *client) onClose(reason string, err error) {
	if c.srv.isClosing() {
		reason = ReasonServerShuttingDown
	}
	c.closeSockets(reason)
	c.dec.Reset()
	c.srv.removeClient(c)
}

// disconnectAll sends DISCONNECT for every namespace, disconnects the
// sockets and closes the session (Socket.Disconnect(true)).
func (c *client) disconnectAll() {
	c.mu.Lock()
	socks := c.sockets
	c.sockets = nil
	c.mu.Unlock()
	for _, s := range socks {
		s.disconnect()
	}
	c.close(ReasonForcedServerClose)
}

// remove forgets s if it is the client's socket for its namespace.
func (c *client) remove(s *Socket) {
	c.mu.Lock()
	c.removeLocked(s)
	c.mu.Unlock()
}
