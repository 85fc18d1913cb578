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
//
// The room named by a socket's id, which every socket is in, is a flag on
// the socket rather than a set of one: with many idle clients it would
// otherwise be the adapter's largest cost.
type MemoryAdapter struct {
	nsp *Namespace // immutable

	mu    sync.RWMutex
	rooms map[string]map[string]struct{} // room -> ids of its members, own rooms aside; guarded by mu
	sids  map[string]memberRooms         // socket id -> its rooms; guarded by mu
}

// memberRooms are the rooms of one socket.
type memberRooms struct {
	own    bool                // in the room named by its id
	others []string            // its other rooms, while they are few
	set    map[string]struct{} // its other rooms, once they are many (others is then nil)
}

// manyRooms is the number of rooms beyond which a socket's rooms are kept
// in a map rather than searched in a slice.
const manyRooms = 16

func (m *memberRooms) has(room string) bool {
	if m.set != nil {
		_, ok := m.set[room]
		return ok
	}
	return slices.Contains(m.others, room)
}

func (m *memberRooms) add(room string) {
	switch {
	case m.set != nil:
		m.set[room] = struct{}{}
	case len(m.others) < manyRooms:
		m.others = append(m.others, room)
	default:
		m.set = make(map[string]struct{}, 2*manyRooms)
		for _, r := range m.others {
			m.set[r] = struct{}{}
		}
		m.set[room] = struct{}{}
		m.others = nil
	}
}

func (m *memberRooms) del(room string) {
	if m.set != nil {
		delete(m.set, room)
		return
	}
	m.others = without(m.others, room)
}

// each calls f with every room other than the socket's own.
func (m *memberRooms) each(f func(room string)) {
	for _, r := range m.others {
		f(r)
	}
	for r := range m.set {
		f(r)
	}
}

// NewMemoryAdapter returns the in-memory adapter of nsp.
func NewMemoryAdapter(nsp *Namespace) *MemoryAdapter {
	return &MemoryAdapter{
		nsp:   nsp,
		rooms: make(map[string]map[string]struct{}),
		sids:  make(map[string]memberRooms),
	}
}

// AddAll implements Adapter.
func (a *MemoryAdapter) AddAll(id string, rooms []string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	mine := a.sids[id]
	for _, r := range rooms {
		if r == id {
			mine.own = true
			continue
		}
		if mine.has(r) {
			continue
		}
		mine.add(r)
		members := a.rooms[r]
		if members == nil {
			members = make(map[string]struct{})
			a.rooms[r] = members
		}
		members[id] = struct{}{}
	}
	a.sids[id] = mine
	return nil
}

// Del implements Adapter.
func (a *MemoryAdapter) Del(id, room string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	mine, ok := a.sids[id]
	if !ok {
		return nil
	}
	if room == id {
		mine.own = false
	} else {
		mine.del(room)
		a.leaveLocked(id, room)
	}
	a.sids[id] = mine
	return nil
}

// DelAll implements Adapter.
func (a *MemoryAdapter) DelAll(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	mine := a.sids[id]
	mine.each(func(r string) { a.leaveLocked(id, r) })
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
	mine, ok := a.sids[id]
	if !ok {
		return nil
	}
	var rooms []string
	if mine.own {
		rooms = append(rooms, id)
	}
	mine.each(func(r string) { rooms = append(rooms, r) })
	slices.Sort(rooms)
	return rooms
}

// eachMemberLocked calls f with the id of every local socket in room.
func (a *MemoryAdapter) eachMemberLocked(room string, f func(id string)) {
	if a.sids[room].own {
		f(room)
	}
	for id := range a.rooms[room] {
		f(id)
	}
}

// ids returns the ids of the local sockets that opts selects.
func (a *MemoryAdapter) ids(opts BroadcastOptions) []string {
	return a.appendIDs(nil, opts)
}

// appendIDs appends to dst the ids of the local sockets that opts selects.
func (a *MemoryAdapter) appendIDs(dst []string, opts BroadcastOptions) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	except := a.exclusionLocked(opts.Except)
	if len(opts.Rooms) == 0 {
		if dst == nil {
			dst = make([]string, 0, len(a.sids))
		}
		for id := range a.sids {
			if !except.has(id) {
				dst = append(dst, id)
			}
		}
		return dst
	}
	var seen map[string]struct{}
	if len(opts.Rooms) > 1 {
		seen = make(map[string]struct{})
	}
	for _, r := range opts.Rooms {
		a.eachMemberLocked(r, func(id string) {
			if except.has(id) {
				return
			}
			if seen != nil {
				if _, dup := seen[id]; dup {
					return
				}
				seen[id] = struct{}{}
			}
			dst = append(dst, id)
		})
	}
	return dst
}

// An exclusion tells the sockets in any of some rooms: a few rooms
// (typically the broadcasting socket's own) are looked up for each socket;
// the members of more are gathered in a set first. It is used with the
// adapter's lock held.
type exclusion struct {
	a     *MemoryAdapter
	rooms []string
	set   map[string]struct{} // with more rooms
}

func (a *MemoryAdapter) exclusionLocked(rooms []string) exclusion {
	e := exclusion{a: a, rooms: rooms}
	if len(rooms) > 4 {
		e.set = make(map[string]struct{})
		for _, r := range rooms {
			a.eachMemberLocked(r, func(id string) { e.set[id] = struct{}{} })
		}
	}
	return e
}

func (e *exclusion) has(id string) bool {
	if e.set != nil {
		_, ok := e.set[id]
		return ok
	}
	for _, r := range e.rooms {
		if id == r && e.a.sids[r].own {
			return true
		}
		if _, ok := e.a.rooms[r][id]; ok {
			return true
		}
	}
	return false
}

// sockets returns the local sockets that opts selects.
func (a *MemoryAdapter) sockets(opts BroadcastOptions) []*Socket {
	return a.nsp.socketsByID(a.ids(opts))
}

// A selection holds the sockets a broadcast goes to. Selections are taken
// from the pool selections and given back, so that a broadcast makes none.
type selection struct {
	ids   []string
	socks []*Socket
}

var selections = sync.Pool{New: func() any { return new(selection) }}

// maxPooledSelection bounds the sockets of a selection kept for reuse.
const maxPooledSelection = 4096

// selectSockets returns a selection of the local sockets that opts
// selects. Give it back with release when done.
func (a *MemoryAdapter) selectSockets(opts BroadcastOptions) *selection {
	sel := selections.Get().(*selection)
	sel.ids = a.appendIDs(sel.ids[:0], opts)
	sel.socks = a.nsp.appendSockets(sel.socks[:0], sel.ids)
	return sel
}

func (sel *selection) release() {
	if cap(sel.ids) > maxPooledSelection || cap(sel.socks) > maxPooledSelection {
		return
	}
	clear(sel.ids)
	clear(sel.socks)
	selections.Put(sel)
}

// Broadcast implements Adapter: p is encoded once and queued for each
// selected socket.
func (a *MemoryAdapter) Broadcast(p *Packet, opts BroadcastOptions) error {
	buf := getBuffer()
	defer putBuffer(buf)
	text, err := p.appendText(*buf)
	if err != nil {
		return err
	}
	*buf = text
	sel := a.selectSockets(opts)
	defer sel.release()
	for _, s := range sel.socks {
		s.sendEncoded(text, p.Attachments, opts.Flags.Volatile)
	}
	return nil
}

// BroadcastWithAck implements Adapter.
func (a *MemoryAdapter) BroadcastWithAck(p *Packet, opts BroadcastOptions, clientCount func(int), ack func(Raw)) error {
	p.ID, p.HasID = a.nsp.nextAckID(), true
	buf := getBuffer()
	defer putBuffer(buf)
	text, err := p.appendText(*buf)
	if err != nil {
		return err
	}
	*buf = text
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
	sel := a.selectSockets(opts)
	defer sel.release()
	for _, s := range sel.socks {
		if !s.addAck(id, handler) {
			continue
		}
		if s.sendEncoded(text, p.Attachments, opts.Flags.Volatile) != nil {
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
	rooms := slices.AppendSeq(make([]string, 0, len(a.rooms)), maps.Keys(a.rooms))
	for id, mine := range a.sids {
		if _, dup := a.rooms[id]; mine.own && !dup {
			rooms = append(rooms, id)
		}
	}
	slices.Sort(rooms)
	return rooms, nil
}

// FetchSockets implements Adapter.
func (a *MemoryAdapter) FetchSockets(_ context.Context, opts BroadcastOptions) ([]*RemoteSocket, error) {
	socks := a.sockets(opts)
	out := make([]*RemoteSocket, 0, len(socks))
	for _, s := range socks {
		out = append(out, NewRemoteSocket(s.id, s.Handshake(), s.Rooms(), s.Data(), s))
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
