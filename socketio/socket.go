package socketio

import (
	"crypto/rand"
	"encoding/base64"
	"maps"
	"sync"
	"time"

	"github.com/duplexrt/duplex/engineio"
)

// A Socket is a client's connection to one namespace. A client that joins
// several namespaces over one Engine.IO session has one Socket in each.
//
// The methods of a Socket are safe for concurrent use. Its handlers (On,
// OnAny, OnDisconnecting, OnDisconnect) and the namespace's connection
// handlers run one at a time, in the order the client's packets came, on a
// goroutine of the server that is not the session's reading goroutine: a
// handler may block, for instance in EmitWithAck, though while it does
// the client's later events wait (up to Options.MaxPendingEvents, then
// the server stops reading from the client).
type Socket struct {
	id     string     // immutable
	nsp    *Namespace // immutable
	client *client    // immutable
	asked  int64      // when the client asked to join, in Unix nanoseconds; immutable

	// roomsMu serializes the socket's room changes, so that a Join that
	// races with the disconnection cannot outlive it. It is held while the
	// adapter runs, and not mu, so that an adapter may call the socket.
	roomsMu sync.Mutex

	mu sync.Mutex
	// The handshake is made when first asked for: most servers never
	// look at it, and it would be a good part of an idle socket's memory.
	hs              *Handshake            // guarded by mu
	auth            map[string]any        // the CONNECT payload, until hs is made; guarded by mu
	acks            map[uint64]ackHandler // acknowledgements awaited from the client; guarded by mu
	handlers        []namedHandler        // in the order added; guarded by mu
	anyHandlers     []func(*Event)        // guarded by mu
	onDisconnecting []func(reason string) // guarded by mu
	onDisconnect    []func(reason string) // guarded by mu
	data            map[string]any        // guarded by mu

	// Small fields, packed together; the lock of each is named.
	state       socketState // guarded by mu
	roomsClosed bool        // the socket left its rooms for good; guarded by roomsMu
}

type socketState uint8

const (
	socketConnecting socketState = iota // in the middlewares
	socketConnected
	socketClosing // disconnect handlers are queued
	socketClosed
)

// An ackHandler receives the arguments of an acknowledgement, or an error
// when none will come.
type ackHandler func(args []Raw, err error)

func newSocket(nsp *Namespace, c *client, auth map[string]any) *Socket {
	return &Socket{
		id:     newID(),
		nsp:    nsp,
		client: c,
		asked:  time.Now().UnixNano(),
		auth:   auth,
	}
}

// newID returns 20 characters of base64url from 15 bytes of crypto/rand.
// Socket ids are public (clients may learn each other's for private
// messages), so they are not the Engine.IO session id.
func newID() string {
	var b [15]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ID returns the socket's id, which is also the name of a room the socket
// is always in.
func (s *Socket) ID() string { return s.id }

// Namespace returns the namespace of the socket.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns the details of the connection. They must not be
// modified.
func (s *Socket) Handshake() *Handshake {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hs == nil {
		s.hs = newHandshake(s.client.sess.Request(), s.auth, time.Unix(0, s.asked))
		s.auth = nil
	}
	return s.hs
}

// Conn returns the Engine.IO session that carries the socket, shared with
// the client's sockets in other namespaces.
func (s *Socket) Conn() *engineio.Session { return s.client.sess }

// Connected reports whether the socket is connected: true from the
// connection handlers until the disconnection.
func (s *Socket) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == socketConnected
}

// Emit sends an event to the client. Arguments are encoded as
// json.Marshal encodes them, except that each []byte in them, at any
// depth, travels as a binary attachment (a Buffer or ArrayBuffer for a
// JavaScript client) and a Raw is sent as it is.
//
// Emit queues the packet and returns without waiting for the network. It
// returns ErrDisconnected when the socket is not connected, and
// engineio.ErrQueueFull when the client does not take what is sent to it
// fast enough, in which case the client is disconnected.
func (s *Socket) Emit(event string, args ...any) error {
	if !s.Connected() {
		return ErrDisconnected
	}
	if err := checkReserved(event); err != nil {
		return err
	}
	h := Packet{Type: PacketEvent, Namespace: s.nsp.name}
	return s.client.sendArgs(&h, event, true, args, false)
}

// sendEncoded queues a packet encoded for a broadcast.
func (s *Socket) sendEncoded(text []byte, atts [][]byte, volatile bool) error {
	if !s.Connected() {
		return ErrDisconnected
	}
	return s.client.send(text, atts, volatile)
}

// Join adds the socket to the rooms.
func (s *Socket) Join(rooms ...string) error {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	if s.roomsClosed || !s.Connected() {
		return ErrDisconnected
	}
	return s.nsp.adapter.AddAll(s.id, rooms)
}

// Leave removes the socket from the rooms.
func (s *Socket) Leave(rooms ...string) error {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	if s.roomsClosed {
		return nil
	}
	for _, r := range rooms {
		if err := s.nsp.adapter.Del(s.id, r); err != nil {
			return err
		}
	}
	return nil
}

// Rooms returns the rooms the socket is in, its own included.
func (s *Socket) Rooms() []string {
	return s.nsp.adapter.SocketRooms(s.id)
}

// To selects the other sockets of the namespace in any of the rooms: the
// socket itself is excluded.
func (s *Socket) To(rooms ...string) *BroadcastOperator {
	return s.Broadcast().To(rooms...)
}

// In is To.
func (s *Socket) In(rooms ...string) *BroadcastOperator { return s.To(rooms...) }

// Except selects the other sockets of the namespace except those in the
// rooms.
func (s *Socket) Except(rooms ...string) *BroadcastOperator {
	return s.Broadcast().Except(rooms...)
}

// Broadcast selects every other socket of the namespace.
func (s *Socket) Broadcast() *BroadcastOperator {
	return &BroadcastOperator{nsp: s.nsp, except: []string{s.id}}
}

// Disconnect disconnects the socket from its namespace: the client gets a
// DISCONNECT packet, and the socket's disconnect handlers the reason
// "server namespace disconnect". With close, every socket of the client
// is disconnected so and its Engine.IO session is closed.
func (s *Socket) Disconnect(close bool) {
	if !s.Connected() {
		return
	}
	if close {
		s.client.disconnectAll()
		return
	}
	s.client.remove(s)
	s.disconnect()
}

// disconnect sends DISCONNECT and disconnects the socket.
func (s *Socket) disconnect() {
	s.client.left(s.nsp.name)
	s.client.sendPacket(&Packet{Type: PacketDisconnect, Namespace: s.nsp.name}, false)
	s.close(ReasonServerNamespaceDisconnect)
}

// Set stores a value in the socket's data, which FetchSockets returns
// with the socket (across servers, with an adapter that serves several:
// use values that encode as JSON).
func (s *Socket) Set(key string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		s.data = make(map[string]any)
	}
	s.data[key] = value
}

// Get returns a value stored with Set.
func (s *Socket) Get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	return v, ok
}

// Data returns a copy of the socket's data.
func (s *Socket) Data() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.data)
}

// setConnected marks the socket connected; the client's lock is held.
func (s *Socket) setConnected() {
	s.mu.Lock()
	s.state = socketConnected
	s.mu.Unlock()
}

// onConnect accepts the connection and runs the connection handlers, on
// the dispatcher.
func (s *Socket) onConnect() {
	data := make([]byte, 0, 32)
	data = append(data, `{"sid":`...)
	data = appendString(data, s.id)
	data = append(data, '}')
	s.client.sendPacket(&Packet{Type: PacketConnect, Namespace: s.nsp.name, Data: data}, false)
	if err := s.Join(s.id); err != nil && err != ErrDisconnected {
		s.nsp.srv.log.Warn("socketio: joining the socket's own room", "namespace", s.nsp.name, "socket", s.id, "err", err)
	}
	// The handlers run even if the client is gone already: the
	// disconnect handlers, queued behind, always follow them.
	for _, f := range s.nsp.connectionHandlers() {
		f(s)
	}
}

// close disconnects the socket: at once for the server (it leaves the
// namespace, its pending acknowledgements fail), then on the dispatcher
// for the handlers, which see it leave its rooms. Only the first call has
// an effect.
func (s *Socket) close(reason string) {
	s.mu.Lock()
	if s.state != socketConnected {
		s.mu.Unlock()
		return
	}
	s.state = socketClosing
	acks := s.acks
	s.acks = nil
	s.mu.Unlock()
	for _, h := range acks {
		h(nil, ErrDisconnected)
	}
	s.nsp.remove(s)
	s.client.remove(s)
	s.client.enqueue(work{f: func() { s.finishClose(reason) }})
}

func (s *Socket) finishClose(reason string) {
	s.mu.Lock()
	before := s.onDisconnecting
	s.mu.Unlock()
	for _, f := range before {
		f(reason)
	}
	s.roomsMu.Lock()
	s.roomsClosed = true
	err := s.nsp.adapter.DelAll(s.id)
	s.roomsMu.Unlock()
	s.mu.Lock()
	s.state = socketClosed
	after := s.onDisconnect
	s.mu.Unlock()
	if err != nil {
		s.nsp.srv.log.Warn("socketio: leaving rooms", "namespace", s.nsp.name, "socket", s.id, "err", err)
	}
	for _, f := range after {
		f(reason)
	}
}
