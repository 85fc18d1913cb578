package socketio

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

// A MemoryAdapter is the Adapter of a namespace on a single server: rooms
// in maps, broadcasts written to the local sockets. Adapters for a cluster
// embed one for their local part. Its methods are safe for concurrent use.
type MemoryAdapter struct {
	nsp *Namespace // immutable

	mu    sync.RWMutex
	rooms map[string]map[string]struct{} // room -> socket ids; guarded by mu
	sids  map[string]map[string]struct{} // socket id -> rooms; guarded by mu
}

// NewMemoryAdapter returns the in-memory adapter of nsp.
func NewMemoryAdapter(nsp *Namespace) *MemoryAdapter {
	return &MemoryAdapter{
		nsp:   nsp,
		rooms: make(map[string]map[string]struct{}),
		sids:  make(map[string]map[string]struct{}),
	}
}

// AddAll implements Adapter.
func (a *MemoryAdapter) AddAll(id string, rooms []string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	mine := a.sids[id]
	if mine == nil {
		mine = make(map[string]struct{}, len(rooms))
		a.sids[id] = mine
	}
	for _, r := range rooms {
		mine[r] = struct{}{}
		members := a.rooms[r]
		if members == nil {
			members = make(map[string]struct{})
			a.rooms[r] = members
		}
		members[id] = struct{}{}
	}
	return nil
}

// Del implements Adapter.
func (a *MemoryAdapter) Del(id, room string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if mine := a.sids[id]; mine != nil {
		delete(mine, room)
	}
	a.leaveLocked(id, room)
	return nil
}

// DelAll implements Adapter.
func (a *MemoryAdapter) DelAll(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for r := range a.sids[id] {
		a.leaveLocked(id, r)
	}
	delete(a.sids, id)
	return nil
}

func (a *MemoryAdapter) leaveLocked(id, room string) {
	if members := a.rooms[room]; members != nil {
		delete(members, id)
		if len(members) == 0 {
			delete(a.rooms, room)
		}
	}
}

// SocketRooms implements Adapter; the rooms are sorted.
func (a *MemoryAdapter) SocketRooms(id string) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return slices.Sorted(maps.Keys(a.sids[id]))
}

// ids returns the ids of the local sockets that opts selects.
func (a *MemoryAdapter) ids(opts BroadcastOptions) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var except map[string]struct{}
	for _, r := range opts.Except {
		for id := range a.rooms[r] {
			if except == nil {
				except = make(map[string]struct{})
			}
			except[id] = struct{}{}
		}
	}
	excluded := func(id string) bool {
		_, ok := except[id]
		return ok
	}
	if len(opts.Rooms) == 0 {
		ids := make([]string, 0, len(a.sids))
		for id := range a.sids {
			if !excluded(id) {
				ids = append(ids, id)
			}
		}
		return ids
	}
	var ids []string
	var seen map[string]struct{}
	if len(opts.Rooms) > 1 {
		seen = make(map[string]struct{})
	}
	for _, r := range opts.Rooms {
		for id := range a.rooms[r] {
			if excluded(id) {
				continue
			}
			if seen != nil {
				if _, dup := seen[id]; dup {
					continue
				}
				seen[id] = struct{}{}
			}
			ids = append(ids, id)
		}
	}
	return ids
}

// sockets returns the local sockets that opts selects.
func (a *MemoryAdapter) sockets(opts BroadcastOptions) []*Socket {
	return a.nsp.socketsByID(a.ids(opts))
}

// Broadcast implements Adapter: p is encoded once and queued for each
// selected socket.
func (a *MemoryAdapter) Broadcast(p *Packet, opts BroadcastOptions) error {
	msgs, err := p.Encode()
	if err != nil {
		return err
	}
	for _, s := range a.sockets(opts) {
		s.sendEncoded(msgs, opts.Flags.Volatile)
	}
	return nil
}

// BroadcastWithAck implements Adapter.
func (a *MemoryAdapter) BroadcastWithAck(p *Packet, opts BroadcastOptions, clientCount func(int), ack func(Raw)) error {
	p.ID, p.HasID = a.nsp.nextAckID(), true
	msgs, err := p.Encode()
	if err != nil {
		return err
	}
	id := p.ID
	handler := func(args []Raw, err error) {
		if err != nil {
			return // disconnected: never answers
		}
		var first Raw
		if len(args) > 0 {
			first = args[0]
		}
		ack(first)
	}
	var sent []*Socket
	for _, s := range a.sockets(opts) {
		if !s.addAck(id, handler) {
			continue
		}
		if s.sendEncoded(msgs, opts.Flags.Volatile) != nil {
			s.removeAck(id)
			continue
		}
		sent = append(sent, s)
	}
	clientCount(len(sent))
	if len(sent) > 0 && opts.Flags.Timeout > 0 {
		// Forget the acknowledgements that did not come in time.
		time.AfterFunc(opts.Flags.Timeout, func() {
			for _, s := range sent {
				s.removeAck(id)
			}
		})
	}
	return nil
}

// Sockets implements Adapter.
func (a *MemoryAdapter) Sockets(_ context.Context, rooms []string) ([]string, error) {
	var ids []string
	for _, s := range a.sockets(BroadcastOptions{Rooms: rooms}) {
		ids = append(ids, s.id)
	}
	return ids, nil
}

// AllRooms implements Adapter.
func (a *MemoryAdapter) AllRooms(context.Context) ([]string, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return slices.Sorted(maps.Keys(a.rooms)), nil
}

// FetchSockets implements Adapter.
func (a *MemoryAdapter) FetchSockets(_ context.Context, opts BroadcastOptions) ([]*RemoteSocket, error) {
	socks := a.sockets(opts)
	out := make([]*RemoteSocket, 0, len(socks))
	for _, s := range socks {
		out = append(out, NewRemoteSocket(s.id, s.hs, s.Rooms(), s.Data(), s))
	}
	return out, nil
}

// AddSockets implements Adapter.
func (a *MemoryAdapter) AddSockets(opts BroadcastOptions, rooms []string) error {
	for _, s := range a.sockets(opts) {
		s.Join(rooms...)
	}
	return nil
}

// DelSockets implements Adapter.
func (a *MemoryAdapter) DelSockets(opts BroadcastOptions, rooms []string) error {
	for _, s := range a.sockets(opts) {
		s.Leave(rooms...)
	}
	return nil
}

// DisconnectSockets implements Adapter.
func (a *MemoryAdapter) DisconnectSockets(opts BroadcastOptions, close bool) error {
	for _, s := range a.sockets(opts) {
		s.Disconnect(close)
	}
	return nil
}

// ServerCount implements Adapter: one server.
func (a *MemoryAdapter) ServerCount(context.Context) (int, error) { return 1, nil }

// ServerSideEmit implements Adapter: there are no other servers, so
// nothing is sent and no acknowledgement awaited.
func (a *MemoryAdapter) ServerSideEmit(context.Context, *Packet, bool) ([]Raw, error) {
	return nil, nil
}

// Close implements Adapter.
func (a *MemoryAdapter) Close() error { return nil }
