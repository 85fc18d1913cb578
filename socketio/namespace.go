package socketio

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// A Namespace is a channel of its own over the clients' shared
// connections, with its middlewares, connection handlers, rooms and
// sockets. Get one with Server.Of; its methods are safe for concurrent
// use.
//
// The broadcast methods (To, Emit, FetchSockets and the others) go
// through the namespace's Adapter, so that with an adapter that serves
// several servers they reach the sockets of every server.
type Namespace struct {
	name    string           // immutable
	srv     *Server          // immutable
	parent  *ParentNamespace // the dynamic namespace that made it, or nil; immutable
	adapter Adapter          // immutable after newNamespace
	ackIDs  atomic.Uint64    // the next acknowledgement id, shared by its sockets and broadcasts

	mu          sync.RWMutex
	sockets     map[string]*Socket           // connected sockets by id; guarded by mu
	pending     int                          // connections in the middlewares; guarded by mu
	removed     bool                         // removed from the server, being empty; guarded by mu
	middlewares []func(*Socket, func(error)) // guarded by mu
	onConnect   []func(*Socket)              // guarded by mu
	serverSide  map[string][]eventHandler    // handlers of server-side events; guarded by mu
}

func newNamespace(srv *Server, name string, parent *ParentNamespace) *Namespace {
	n := &Namespace{name: name, srv: srv, parent: parent, sockets: make(map[string]*Socket)}
	n.adapter = srv.opts.Adapter(n)
	return n
}

// Name returns the name of the namespace, such as "/" or "/admin".
func (n *Namespace) Name() string { return n.name }

// Server returns the server of the namespace.
func (n *Namespace) Server() *Server { return n.srv }

// Adapter returns the adapter of the namespace.
func (n *Namespace) Adapter() Adapter { return n.adapter }

// Use adds a middleware, run for each client that asks to join the
// namespace, before its connection handlers. A middleware calls next
// once, from any goroutine and at any time: with nil to let the next
// middleware run (and after the last one, accept the connection), or
// with an error to refuse it. The client then gets CONNECT_ERROR with
// the error's message, and the Data of a *ConnectError. The middlewares
// of a dynamic namespace run before those of its children.
//
// Middlewares see the socket before it is connected: Handshake holds
// the client's details, and Set stores data for later; Emit, Join and
// the like fail until the connection is accepted.
func (n *Namespace) Use(f func(s *Socket, next func(err error))) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.middlewares = append(n.middlewares, f)
}

// OnConnection adds a handler called for each socket that joins the
// namespace, once the client has been told it is connected. The handlers
// of a dynamic namespace run before those of its children.
func (n *Namespace) OnConnection(f func(s *Socket)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.onConnect = append(n.onConnect, f)
}

// runMiddlewares runs the middlewares for s and then done, each on the
// client's dispatcher.
func (n *Namespace) runMiddlewares(s *Socket, done func(error)) {
	var mws []func(*Socket, func(error))
	if n.parent != nil {
		mws = n.parent.middlewareList()
	}
	n.mu.RLock()
	mws = append(mws, n.middlewares...)
	n.mu.RUnlock()
	if len(mws) == 0 {
		done(nil) // without the closures below, which a namespace without middlewares would pay for
		return
	}
	var step func(i int)
	step = func(i int) {
		if i == len(mws) {
			done(nil)
			return
		}
		var called atomic.Bool
		mws[i](s, func(err error) {
			if !called.CompareAndSwap(false, true) {
				return
			}
			s.client.enqueue(work{f: func() {
				if err != nil {
					done(err)
				} else {
					step(i + 1)
				}
			}})
		})
	}
	step(0)
}

func (n *Namespace) connectionHandlers() []func(*Socket) {
	var hs []func(*Socket)
	if n.parent != nil {
		hs = n.parent.connectionHandlers()
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return append(hs, n.onConnect...)
}

// reserve counts a connection in progress, which keeps an empty child
// namespace from being removed; false means the namespace is gone.
func (n *Namespace) reserve() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.removed {
		return false
	}
	n.pending++
	return true
}

// release ends a reserved connection that failed.
func (n *Namespace) release() {
	n.mu.Lock()
	n.pending--
	drop := n.dropLocked()
	n.mu.Unlock()
	if drop {
		n.srv.removeNamespace(n)
	}
}

// add registers a socket whose connection was reserved.
func (n *Namespace) add(s *Socket) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pending--
	n.sockets[s.id] = s
}

// remove forgets a socket, and an empty child namespace when
// Options.CleanupEmptyChildNamespaces says so.
func (n *Namespace) remove(s *Socket) {
	n.mu.Lock()
	if n.sockets[s.id] != s {
		n.mu.Unlock()
		return
	}
	delete(n.sockets, s.id)
	drop := n.dropLocked()
	n.mu.Unlock()
	if drop {
		n.srv.removeNamespace(n)
	}
}

// dropLocked reports whether the namespace should now be removed, and
// marks it removed if so.
func (n *Namespace) dropLocked() bool {
	if n.removed || n.parent == nil || !n.srv.opts.CleanupEmptyChildNamespaces ||
		len(n.sockets) > 0 || n.pending > 0 {
		return false
	}
	n.removed = true
	return true
}

// socketsByID returns the connected sockets among ids, for adapters.
func (n *Namespace) socketsByID(ids []string) []*Socket {
	return n.appendSockets(make([]*Socket, 0, len(ids)), ids)
}

// appendSockets appends to dst the connected sockets among ids.
func (n *Namespace) appendSockets(dst []*Socket, ids []string) []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, id := range ids {
		if s := n.sockets[id]; s != nil {
			dst = append(dst, s)
		}
	}
	return dst
}

func (n *Namespace) nextAckID() uint64 { return n.ackIDs.Add(1) - 1 }

// Socket returns the socket of this server with the given id, if it is
// connected to the namespace.
func (n *Namespace) Socket(id string) (*Socket, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	s, ok := n.sockets[id]
	return s, ok
}

// Sockets returns the sockets of this server connected to the namespace.
// FetchSockets also finds those of other servers.
func (n *Namespace) Sockets() []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for _, s := range n.sockets {
		out = append(out, s)
	}
	return out
}

// Len returns the number of sockets of this server connected to the
// namespace.
func (n *Namespace) Len() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.sockets)
}

func (n *Namespace) all() *BroadcastOperator { return &BroadcastOperator{nsp: n} }

// To selects the sockets in any of the rooms.
func (n *Namespace) To(rooms ...string) *BroadcastOperator { return n.all().To(rooms...) }

// In is To.
func (n *Namespace) In(rooms ...string) *BroadcastOperator { return n.all().To(rooms...) }

// Except selects the sockets that are in none of the rooms.
func (n *Namespace) Except(rooms ...string) *BroadcastOperator { return n.all().Except(rooms...) }

// Volatile selects every socket, for packets that may be dropped; see
// BroadcastOperator.Volatile.
func (n *Namespace) Volatile() *BroadcastOperator { return n.all().Volatile() }

// Local selects the sockets of this server only.
func (n *Namespace) Local() *BroadcastOperator { return n.all().Local() }

// Timeout selects every socket, with a time limit for EmitWithAck.
func (n *Namespace) Timeout(d time.Duration) *BroadcastOperator { return n.all().Timeout(d) }

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error { return n.all().Emit(event, args...) }

// EmitWithAck sends an event to every socket of the namespace and
// collects their acknowledgements; see BroadcastOperator.EmitWithAck.
func (n *Namespace) EmitWithAck(ctx context.Context, event string, args ...any) ([]Raw, error) {
	return n.all().EmitWithAck(ctx, event, args...)
}

// FetchSockets returns the sockets of the namespace, on every server.
func (n *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return n.all().FetchSockets(ctx)
}

// SocketsJoin makes every socket of the namespace join the rooms.
func (n *Namespace) SocketsJoin(rooms ...string) error { return n.all().SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the namespace leave the rooms.
func (n *Namespace) SocketsLeave(rooms ...string) error { return n.all().SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the namespace; with
// close, their Engine.IO sessions are closed too.
func (n *Namespace) DisconnectSockets(close bool) error { return n.all().DisconnectSockets(close) }

// ServerSideEmit sends an event to the other servers of the cluster,
// where the handlers added with OnServerSideEmit get it. With the
// in-memory adapter there are no other servers and it does nothing.
func (n *Namespace) ServerSideEmit(event string, args ...any) error {
	p, err := eventPacket(event, args)
	if err != nil {
		return err
	}
	p.Namespace = n.name
	_, err = n.adapter.ServerSideEmit(context.Background(), p, false)
	return err
}

// ServerSideEmitWithAck sends an event to the other servers of the
// cluster and returns the first argument of each one's acknowledgement.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]Raw, error) {
	p, err := eventPacket(event, args)
	if err != nil {
		return nil, err
	}
	p.Namespace = n.name
	return n.adapter.ServerSideEmit(ctx, p, true)
}

// OnServerSideEmit adds a handler for an event sent by another server
// with ServerSideEmit; handler has one of the forms of Socket.On.
func (n *Namespace) OnServerSideEmit(event string, handler any) {
	h := makeHandler(handler)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.serverSide == nil {
		n.serverSide = make(map[string][]eventHandler)
	}
	n.serverSide[event] = append(n.serverSide[event], h)
}

// HandleServerSideEmit runs the OnServerSideEmit handlers for an EVENT
// packet that came from another server; ack, when not nil, answers it.
// Adapters call it; it runs the handlers on the caller's goroutine.
func (n *Namespace) HandleServerSideEmit(p *Packet, ack AckFunc) error {
	if p.Type != PacketEvent {
		return errors.New("socketio: server-side emit of a " + p.Type.String() + " packet")
	}
	if err := checkPayload(PacketEvent, p.Data); err != nil {
		return err
	}
	ev, err := newEvent(p, nil)
	if err != nil {
		return err
	}
	ev.Ack = ack
	n.mu.RLock()
	hs := n.serverSide[ev.Name]
	n.mu.RUnlock()
	for _, h := range hs {
		if err := h(ev); err != nil {
			n.srv.log.Warn("socketio: server-side event not handled", "namespace", n.name, "err", err)
		}
	}
	return nil
}
