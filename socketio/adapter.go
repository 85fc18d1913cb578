package socketio

import (
	"context"
	"time"
)

// An Adapter keeps the rooms of one namespace and carries out what is done
// to a selection of its sockets: broadcasts, acknowledgements collected
// from many clients, fetching sockets, making them join, leave or
// disconnect. The in-memory adapter (NewMemoryAdapter) serves one server;
// an adapter for a cluster (such as one over Redis pub/sub) publishes each
// operation to the other servers and applies it locally, usually by
// embedding a *MemoryAdapter for the local part. Every method is called
// from many goroutines at once.
//
// The operations mirror those of the reference server's adapters, so
// that one can speak their wire format:
//
//   - membership: AddAll, Del, DelAll, SocketRooms (local sockets)
//   - Broadcast and BroadcastWithAck, with BroadcastOptions (rooms,
//     except, flags)
//   - Sockets, AllRooms, FetchSockets, AddSockets, DelSockets,
//     DisconnectSockets, selected with BroadcastOptions
//   - ServerCount and ServerSideEmit, between the servers
type Adapter interface {
	// AddAll adds the local socket id to the rooms.
	AddAll(id string, rooms []string) error
	// Del removes the local socket id from the room.
	Del(id, room string) error
	// DelAll removes the local socket id from every room.
	DelAll(id string) error
	// SocketRooms returns the rooms of the local socket id.
	SocketRooms(id string) []string

	// Broadcast sends p, an EVENT packet of the adapter's namespace, to
	// the selected sockets. It encodes p once for all of them.
	Broadcast(p *Packet, opts BroadcastOptions) error

	// BroadcastWithAck sends p, assigning it an acknowledgement id, and
	// reports how many clients it was sent to with clientCount (once per
	// server), then the first argument of each client's acknowledgement
	// with ack, until opts.Flags.Timeout has passed. Both may be called
	// from any goroutine, also after BroadcastWithAck has returned.
	BroadcastWithAck(p *Packet, opts BroadcastOptions, clientCount func(n int), ack func(arg Raw)) error

	// Sockets returns the ids of the sockets in any of the rooms (every
	// socket when rooms is empty), on every server.
	Sockets(ctx context.Context, rooms []string) ([]string, error)
	// AllRooms returns the rooms of every server.
	AllRooms(ctx context.Context) ([]string, error)
	// FetchSockets returns the selected sockets, on every server.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]*RemoteSocket, error)
	// AddSockets makes the selected sockets join the rooms.
	AddSockets(opts BroadcastOptions, rooms []string) error
	// DelSockets makes the selected sockets leave the rooms.
	DelSockets(opts BroadcastOptions, rooms []string) error
	// DisconnectSockets disconnects the selected sockets, closing their
	// connections when close is set.
	DisconnectSockets(opts BroadcastOptions, close bool) error

	// ServerCount returns the number of servers in the cluster, this one
	// included.
	ServerCount(ctx context.Context) (int, error)
	// ServerSideEmit sends p, an EVENT packet, to the other servers,
	// which pass it to Namespace.HandleServerSideEmit. With withAck, it
	// waits for each other server's acknowledgement (until ctx ends) and
	// returns their first arguments.
	ServerSideEmit(ctx context.Context, p *Packet, withAck bool) ([]Raw, error)

	// Close releases the adapter; the server calls it at Shutdown, and
	// when it removes an empty child namespace.
	Close() error
}

// BroadcastOptions selects sockets of a namespace and says how to send to
// them.
type BroadcastOptions struct {
	Rooms  []string // the sockets in any of these rooms; every socket when empty
	Except []string // minus the sockets in any of these rooms
	Flags  BroadcastFlags
}

// BroadcastFlags modify a broadcast.
type BroadcastFlags struct {
	Volatile bool          // clients whose send queue is full do not get the packet
	Local    bool          // only the sockets of this server
	Timeout  time.Duration // how long acknowledgements are awaited
}

// A RemoteSocket is a socket returned by FetchSockets, of this server or
// of another one: its details at the time, and methods that act on it
// through the adapter, wherever it is.
type RemoteSocket struct {
	ID        string
	Handshake *Handshake
	Rooms     []string
	Data      map[string]any

	nsp   *Namespace // set by FetchSockets
	local *Socket    // when on this server
}

// NewRemoteSocket returns a RemoteSocket for an adapter's FetchSockets;
// local is the socket itself when it is on this server, else nil.
func NewRemoteSocket(id string, hs *Handshake, rooms []string, data map[string]any, local *Socket) *RemoteSocket {
	return &RemoteSocket{ID: id, Handshake: hs, Rooms: rooms, Data: data, local: local}
}

// Local returns the socket when it is on this server, else nil.
func (r *RemoteSocket) Local() *Socket { return r.local }

func (r *RemoteSocket) operator() *BroadcastOperator {
	return &BroadcastOperator{nsp: r.nsp, rooms: []string{r.ID}}
}

// Emit sends an event to the socket.
func (r *RemoteSocket) Emit(event string, args ...any) error {
	if r.local != nil {
		return r.local.Emit(event, args...)
	}
	return r.operator().Emit(event, args...)
}

// EmitWithAck sends an event to the socket and returns the first argument
// of its acknowledgement. ctx must have a deadline when the socket is on
// another server.
func (r *RemoteSocket) EmitWithAck(ctx context.Context, event string, args ...any) (Raw, error) {
	if r.local != nil {
		res, err := r.local.EmitWithAck(ctx, event, args...)
		if err != nil || len(res) == 0 {
			return Raw{}, err
		}
		return res[0], nil
	}
	res, err := r.operator().EmitWithAck(ctx, event, args...)
	if len(res) == 0 {
		if err == nil {
			err = ErrDisconnected
		}
		return Raw{}, err
	}
	return res[0], nil
}

// Join makes the socket join the rooms.
func (r *RemoteSocket) Join(rooms ...string) error { return r.operator().SocketsJoin(rooms...) }

// Leave makes the socket leave the rooms.
func (r *RemoteSocket) Leave(rooms ...string) error { return r.operator().SocketsLeave(rooms...) }

// Disconnect disconnects the socket, as Socket.Disconnect does.
func (r *RemoteSocket) Disconnect(close bool) error { return r.operator().DisconnectSockets(close) }
