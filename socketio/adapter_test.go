package socketio_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/duplexrt/duplex/socketio"
)

// A bus joins the adapters of several servers in one process, the way an
// adapter over Redis pub/sub joins servers on several machines: each
// operation is applied by every member's MemoryAdapter. It shows that the
// Adapter interface carries what a cluster needs.
type bus struct {
	mu      sync.Mutex
	members []*busAdapter
}

type busAdapter struct {
	*socketio.MemoryAdapter
	nsp *socketio.Namespace
	bus *bus
}

func (b *bus) factory(nsp *socketio.Namespace) socketio.Adapter {
	a := &busAdapter{MemoryAdapter: socketio.NewMemoryAdapter(nsp), nsp: nsp, bus: b}
	b.mu.Lock()
	b.members = append(b.members, a)
	b.mu.Unlock()
	return a
}

// others returns the adapters of the same namespace on the other servers.
func (a *busAdapter) others() []*busAdapter {
	a.bus.mu.Lock()
	defer a.bus.mu.Unlock()
	var out []*busAdapter
	for _, m := range a.bus.members {
		if m != a && m.nsp.Name() == a.nsp.Name() {
			out = append(out, m)
		}
	}
	return out
}

func clonePacket(p *socketio.Packet) *socketio.Packet {
	q := *p
	return &q
}

func (a *busAdapter) ServerCount(context.Context) (int, error) { return len(a.others()) + 1, nil }

func (a *busAdapter) Broadcast(p *socketio.Packet, opts socketio.BroadcastOptions) error {
	if !opts.Flags.Local {
		for _, o := range a.others() {
			o.MemoryAdapter.Broadcast(clonePacket(p), opts)
		}
	}
	return a.MemoryAdapter.Broadcast(p, opts)
}

func (a *busAdapter) BroadcastWithAck(p *socketio.Packet, opts socketio.BroadcastOptions, count func(int), ack func(socketio.Raw)) error {
	if !opts.Flags.Local {
		for _, o := range a.others() {
			o.MemoryAdapter.BroadcastWithAck(clonePacket(p), opts, count, ack)
		}
	}
	return a.MemoryAdapter.BroadcastWithAck(p, opts, count, ack)
}

func (a *busAdapter) FetchSockets(ctx context.Context, opts socketio.BroadcastOptions) ([]*socketio.RemoteSocket, error) {
	socks, err := a.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Flags.Local {
		return socks, err
	}
	for _, o := range a.others() {
		remote, _ := o.MemoryAdapter.FetchSockets(ctx, opts)
		for _, r := range remote {
			// What travels between servers: no pointer to the socket.
			socks = append(socks, socketio.NewRemoteSocket(r.ID, r.Handshake, r.Rooms, r.Data, nil))
		}
	}
	return socks, err
}

func (a *busAdapter) AddSockets(opts socketio.BroadcastOptions, rooms []string) error {
	for _, o := range a.others() {
		o.MemoryAdapter.AddSockets(opts, rooms)
	}
	return a.MemoryAdapter.AddSockets(opts, rooms)
}

func (a *busAdapter) DelSockets(opts socketio.BroadcastOptions, rooms []string) error {
	for _, o := range a.others() {
		o.MemoryAdapter.DelSockets(opts, rooms)
	}
	return a.MemoryAdapter.DelSockets(opts, rooms)
}

func (a *busAdapter) DisconnectSockets(opts socketio.BroadcastOptions, close bool) error {
	for _, o := range a.others() {
		o.MemoryAdapter.DisconnectSockets(opts, close)
	}
	return a.MemoryAdapter.DisconnectSockets(opts, close)
}

func (a *busAdapter) ServerSideEmit(ctx context.Context, p *socketio.Packet, withAck bool) ([]socketio.Raw, error) {
	var mu sync.Mutex
	var responses []socketio.Raw
	for _, o := range a.others() {
		var ack socketio.AckFunc
		if withAck {
			ack = func(args ...any) error {
				var r socketio.Packet
				if err := r.SetData(args[0]); err != nil {
					return err
				}
				mu.Lock()
				responses = append(responses, socketio.Raw{JSON: r.Data, Attachments: r.Attachments})
				mu.Unlock()
				return nil
			}
		}
		if err := o.nsp.HandleServerSideEmit(clonePacket(p), ack); err != nil {
			return nil, err
		}
	}
	return responses, nil
}

func TestAdapterAcrossServers(t *testing.T) {
	var b bus
	srv1, hs1 := newTestServer(t, &socketio.Options{Adapter: b.factory})
	srv2, hs2 := newTestServer(t, &socketio.Options{Adapter: b.factory})
	socks := make(chan *socketio.Socket, 2)
	for _, srv := range []*socketio.Server{srv1, srv2} {
		srv.OnConnection(func(s *socketio.Socket) {
			s.Join("room")
			socks <- s
		})
	}
	c1 := dialWS(t, hs1)
	c1.connect("/", "")
	s1 := <-socks
	c2 := dialWS(t, hs2)
	c2.connect("/", "")
	s2 := <-socks

	// A broadcast from server 1 reaches the client of server 2.
	srv1.To("room").Emit("hello", []byte{1})
	for _, c := range []*wsClient{c1, c2} {
		c.expect(`451-["hello",{"_placeholder":true,"num":0}]`)
		c.expectBinary([]byte{1})
	}
	// Local stays on server 1.
	srv1.Of("/").Local().Emit("local")
	c1.expect(`42["local"]`)
	c2.expectNothing(50 * time.Millisecond)

	// Acknowledgements from both servers' clients.
	done := make(chan []socketio.Raw, 1)
	go func() {
		res, err := srv1.Of("/").Timeout(5*time.Second).EmitWithAck(context.Background(), "count")
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	for i, c := range []*wsClient{c1, c2} {
		m := c.read()
		id := m.data[2 : len(m.data)-len(`["count"]`)]
		c.send("43" + id + `[` + []string{"1", "2"}[i] + `]`)
	}
	var sum int
	for _, r := range <-done {
		var n int
		r.Decode(&n)
		sum += n
	}
	if sum != 3 {
		t.Errorf("answers add up to %d, want 3", sum)
	}

	// FetchSockets finds the socket of server 2, and acts on it there.
	all, err := srv1.Of("/").FetchSockets(context.Background())
	if err != nil || len(all) != 2 {
		t.Fatalf("FetchSockets = %v, %v", all, err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Local() != nil })
	remote := all[1]
	if remote.ID != s2.ID() || remote.Local() != nil || !slices.Contains(remote.Rooms, "room") {
		t.Fatalf("remote socket %+v", remote)
	}
	remote.Emit("direct")
	c2.expect(`42["direct"]`)
	c1.expectNothing(50 * time.Millisecond)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := remote.EmitWithAck(ctx, "one")
		if err != nil {
			t.Error(err)
		}
		done <- []socketio.Raw{res}
	}()
	m := c2.read()
	c2.send("43" + m.data[2:len(m.data)-len(`["one"]`)] + `["only"]`)
	if r := <-done; len(r) != 1 || string(r[0].JSON) != `"only"` {
		t.Errorf("remote EmitWithAck = %v", r)
	}
	if err := remote.Join("joined"); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(s2.Rooms(), "joined") {
		t.Error("remote Join did not join")
	}
	remote.Leave("joined")
	if slices.Contains(s2.Rooms(), "joined") {
		t.Error("remote Leave did not leave")
	}

	// Server-side events between the servers.
	srv2.Of("/").OnServerSideEmit("who", func(q string, ack socketio.AckFunc) {
		ack("server 2 got " + q)
	})
	res, err := srv1.Of("/").ServerSideEmitWithAck(context.Background(), "who", "you")
	if err != nil || len(res) != 1 || string(res[0].JSON) != `"server 2 got you"` {
		t.Errorf("ServerSideEmitWithAck = %v, %v", res, err)
	}
	if err := srv1.Of("/").ServerSideEmit("disconnect"); !errors.Is(err, socketio.ErrReservedEvent) {
		t.Errorf("reserved server-side event: %v", err)
	}

	// Disconnecting a room on every server.
	remote.Disconnect(false)
	c2.expect("41")
	srv1.In("room").DisconnectSockets(false)
	c1.expect("41")
	waitFor(t, func() bool { return srv1.Of("/").Len() == 0 && srv2.Of("/").Len() == 0 })
	_ = s1
}
