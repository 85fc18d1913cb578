package socketio_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/duplexrt/duplex/socketio"
)

// roomFixture connects n clients to "/" and returns them with their
// server sockets, in the same order.
func roomFixture(t *testing.T, srv *socketio.Server, hs *httptest.Server, n int) ([]*wsClient, []*socketio.Socket) {
	t.Helper()
	socks := make(chan *socketio.Socket, n)
	srv.OnConnection(func(s *socketio.Socket) { socks <- s })
	var clients []*wsClient
	var sockets []*socketio.Socket
	for range n {
		c := dialWS(t, hs)
		id := c.connect("/", "")
		s := <-socks
		if s.ID() != id {
			t.Fatalf("socket %s, client got %s", s.ID(), id)
		}
		clients = append(clients, c)
		sockets = append(sockets, s)
	}
	return clients, sockets
}

func TestRooms(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	cs, ss := roomFixture(t, srv, hs, 3)
	nsp := srv.Of("/")

	if got := ss[0].Rooms(); !reflect.DeepEqual(got, []string{ss[0].ID()}) {
		t.Errorf("Rooms = %v, want its own id", got)
	}
	for _, s := range ss {
		if err := s.Join("room", "other"); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"other", "room", ss[1].ID()}
	sort.Strings(want)
	if got := ss[1].Rooms(); !reflect.DeepEqual(got, want) {
		t.Errorf("Rooms = %v, want %v", got, want)
	}

	// To a room, except one socket by its room.
	if err := nsp.To("room").Except(ss[2].ID()).Emit("news", 1); err != nil {
		t.Fatal(err)
	}
	cs[0].expect(`42["news",1]`)
	cs[1].expect(`42["news",1]`)
	cs[2].expectNothing(50 * time.Millisecond)

	// Several rooms: each socket once.
	nsp.To("room", "other").In(ss[0].ID()).Emit("once")
	for _, c := range cs {
		c.expect(`42["once"]`)
		c.expectNothing(20 * time.Millisecond)
	}

	// From a socket: everyone else.
	ss[0].Broadcast().Emit("from0")
	ss[0].To("room").Emit("from0 to room")
	for _, c := range cs[1:] {
		c.expect(`42["from0"]`)
		c.expect(`42["from0 to room"]`)
	}
	cs[0].expectNothing(50 * time.Millisecond)

	// Leave, and the namespace-wide emit.
	ss[1].Leave("room")
	nsp.To("room").Emit("after leave")
	cs[0].expect(`42["after leave"]`)
	cs[2].expect(`42["after leave"]`)
	cs[1].expectNothing(50 * time.Millisecond)
	srv.Emit("all", []byte{1})
	for _, c := range cs {
		c.expect(`451-["all",{"_placeholder":true,"num":0}]`)
		c.expectBinary([]byte{1})
	}

	rooms, _ := nsp.Adapter().AllRooms(context.Background())
	if !slices.Contains(rooms, "room") || !slices.Contains(rooms, ss[2].ID()) {
		t.Errorf("AllRooms = %v", rooms)
	}
	ids, _ := nsp.Adapter().Sockets(context.Background(), []string{"room"})
	sort.Strings(ids)
	wantIDs := []string{ss[0].ID(), ss[2].ID()}
	sort.Strings(wantIDs)
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("Sockets(room) = %v, want %v", ids, wantIDs)
	}

	// A disconnected socket leaves its rooms, and may not join again.
	cs[2].send("41")
	waitFor(t, func() bool { return nsp.Len() == 2 })
	waitFor(t, func() bool {
		ids, _ := nsp.Adapter().Sockets(context.Background(), []string{"room"})
		return len(ids) == 1
	})
	if err := ss[2].Join("x"); !errors.Is(err, socketio.ErrDisconnected) {
		t.Errorf("Join after disconnection: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met in time")
}

func TestRoomsAreNamespaced(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	socks := make(chan *socketio.Socket, 2)
	srv.Of("/a").OnConnection(func(s *socketio.Socket) { s.Join("r"); socks <- s })
	srv.Of("/b").OnConnection(func(s *socketio.Socket) { s.Join("r"); socks <- s })
	c := dialWS(t, hs)
	c.connect("/a", "")
	c.connect("/b", "")
	<-socks
	<-socks
	srv.Of("/a").To("r").Emit("hi")
	c.expect(`42/a,["hi"]`)
	c.expectNothing(50 * time.Millisecond)
}

func TestBroadcastEmitWithAck(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	cs, ss := roomFixture(t, srv, hs, 3)
	nsp := srv.Of("/")
	for _, s := range ss[:2] {
		s.Join("answering")
	}

	type result struct {
		res []socketio.Raw
		err error
	}
	run := func(op *socketio.BroadcastOperator, ctx context.Context) chan result {
		ch := make(chan result, 1)
		go func() {
			res, err := op.EmitWithAck(ctx, "poll", "q")
			ch <- result{res, err}
		}()
		return ch
	}

	// Every client answers.
	ch := run(nsp.To("answering").Timeout(5*time.Second), context.Background())
	for i, c := range cs[:2] {
		m := c.read()
		if m.data != `420["poll","q"]` {
			t.Fatalf("client %d got %q", i, m.data)
		}
		c.send(`430[` + []string{`"yes"`, `"no"`}[i] + `,"ignored"]`)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	var answers []string
	for _, a := range r.res {
		var s string
		a.Decode(&s)
		answers = append(answers, s)
	}
	sort.Strings(answers)
	if !reflect.DeepEqual(answers, []string{"no", "yes"}) {
		t.Errorf("answers %v", answers)
	}

	// One does not answer in time.
	ch = run(nsp.Timeout(100*time.Millisecond), context.Background())
	for _, c := range cs[:2] {
		c.read()
		c.send(`431["ok"]`)
	}
	cs[2].read()
	r = <-ch
	if !errors.Is(r.err, context.DeadlineExceeded) || len(r.res) != 2 {
		t.Errorf("with a silent client: %d answers, %v", len(r.res), r.err)
	}

	// The context's deadline is a timeout too; without either, it refuses.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ch = run(nsp.To("nobody-here"), ctx)
	if r := <-ch; r.err != nil || len(r.res) != 0 {
		t.Errorf("empty room: %v %v", r.res, r.err)
	}
	if _, err := nsp.EmitWithAck(context.Background(), "x"); !errors.Is(err, socketio.ErrNoTimeout) {
		t.Errorf("without a timeout: %v", err)
	}
}

func TestFetchSocketsAndRemoteOperations(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	cs, ss := roomFixture(t, srv, hs, 3)
	nsp := srv.Of("/")
	ss[0].Set("name", "zero")
	ss[0].Join("r")
	ss[1].Join("r")

	socks, err := nsp.In("r").FetchSockets(context.Background())
	if err != nil || len(socks) != 2 {
		t.Fatalf("FetchSockets = %v, %v", socks, err)
	}
	sort.Slice(socks, func(i, j int) bool { return socks[i].Local() == ss[0] })
	r0 := socks[0]
	if r0.ID != ss[0].ID() || r0.Local() != ss[0] || r0.Data["name"] != "zero" || r0.Handshake != ss[0].Handshake() {
		t.Errorf("fetched %+v", r0)
	}
	if !slices.Contains(r0.Rooms, "r") {
		t.Errorf("fetched rooms %v", r0.Rooms)
	}
	if err := r0.Emit("direct", 1); err != nil {
		t.Fatal(err)
	}
	cs[0].expect(`42["direct",1]`)

	// SocketsJoin and SocketsLeave on a selection.
	nsp.In("r").SocketsJoin("joined")
	waitFor(t, func() bool { return slices.Contains(ss[1].Rooms(), "joined") })
	if slices.Contains(ss[2].Rooms(), "joined") {
		t.Error("socket outside the selection joined")
	}
	nsp.Except("r").SocketsJoin("outside")
	if !slices.Contains(ss[2].Rooms(), "outside") || slices.Contains(ss[0].Rooms(), "outside") {
		t.Error("Except selection wrong")
	}
	nsp.SocketsLeave("joined")
	if slices.Contains(ss[0].Rooms(), "joined") {
		t.Error("SocketsLeave did not leave")
	}

	// DisconnectSockets on a room: DISCONNECT packets, the reason.
	reasons := newRecorder()
	for _, s := range ss {
		s.OnDisconnect(func(reason string) { reasons.add("%s", reason) })
	}
	nsp.In("r").DisconnectSockets(false)
	cs[0].expect("41")
	cs[1].expect("41")
	reasons.wait(t, socketio.ReasonServerNamespaceDisconnect)
	reasons.wait(t, socketio.ReasonServerNamespaceDisconnect)
	// The connection stays open and can join again.
	cs[0].connect("/", "")

	// With close, the connection goes too.
	ss[2].Disconnect(true)
	cs[2].expect("41")
	cs[2].expectClosed()
	reasons.wait(t, socketio.ReasonServerNamespaceDisconnect)
}

func TestVolatileDropsForSlowClients(t *testing.T) {
	eopts := engineOptions()
	eopts.SendQueueMessages = 4
	srv, hs := newTestServer(t, &socketio.Options{Engine: eopts})
	sock := make(chan *socketio.Socket, 1)
	reasons := newRecorder()
	srv.OnConnection(func(s *socketio.Socket) {
		s.OnDisconnect(func(r string) { reasons.add("%s", r) })
		sock <- s
	})
	// A polling client that does not poll: what is sent to it waits in
	// its session's queue.
	c := dialPolling(t, hs)
	c.post("40")
	c.packets(1)
	<-sock
	before := srv.Dropped()
	for i := range 10 {
		if err := srv.Of("/").Volatile().Emit("tick", i); err != nil {
			t.Fatal(err)
		}
	}
	if d := srv.Dropped() - before; d < 6 {
		t.Errorf("%d volatile packets dropped, want at least 6", d)
	}
	if srv.Of("/").Len() != 1 {
		t.Fatal("volatile packets disconnected the client")
	}
	// A packet that is not volatile disconnects it.
	srv.Emit("important")
	reasons.wait(t, socketio.ReasonForcedServerClose)
}

func TestDynamicNamespaces(t *testing.T) {
	srv, hs := newTestServer(t, &socketio.Options{CleanupEmptyChildNamespaces: true})
	re := srv.OfRegexp(regexpMust(`^/dyn-\d+$`))
	fn := srv.OfFunc(func(name string, auth map[string]any) bool {
		return name == "/private" && auth["key"] == "k"
	})
	rec := newRecorder()
	re.Use(func(s *socketio.Socket, next func(error)) {
		rec.add("parent middleware %s", s.Namespace().Name())
		next(nil)
	})
	re.OnConnection(func(s *socketio.Socket) { rec.add("parent connection %s", s.Namespace().Name()) })
	fn.OnConnection(func(s *socketio.Socket) { rec.add("private %s", s.Namespace().Name()) })

	c := dialWS(t, hs)
	c.connect("/dyn-1", "")
	rec.wait(t, "parent middleware /dyn-1")
	rec.wait(t, "parent connection /dyn-1")
	c.send("40/dyn-x,")
	c.expect(`44/dyn-x,{"message":"Invalid namespace"}`)
	c.send(`40/private,{"key":"wrong"}`)
	c.expect(`44/private,{"message":"Invalid namespace"}`)
	c.connect("/private", `{"key":"k"}`)
	rec.wait(t, "private /private")

	// Of makes children of a regexp parent too; the parent emits to all.
	child := srv.Of("/dyn-2")
	if kids := re.Children(); len(kids) != 2 || kids[1] != child {
		t.Errorf("Children = %v", kids)
	}
	re.Emit("to children")
	c.expect(`42/dyn-1,["to children"]`)

	// An empty child namespace goes away.
	c.send("41/dyn-1,")
	waitFor(t, func() bool { return len(re.Children()) == 1 })
	c.connect("/dyn-1", "")
	rec.wait(t, "parent middleware /dyn-1")
	rec.wait(t, "parent connection /dyn-1")
}

func TestOfNormalizesAndRefusesCommas(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	if srv.Of("admin") != srv.Of("/admin") || srv.Of("/admin").Name() != "/admin" {
		t.Error("Of without a leading slash")
	}
	defer func() {
		if recover() == nil {
			t.Error("Of accepted a comma")
		}
	}()
	srv.Of("/a,b")
}

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }
