package interop_test

// What socketio_test.go and socketio_chromium_test.go share: the driver of
// peers/socketio_client.js, the Go server the clients talk to, a TCP proxy
// that can stop forwarding, and the check for goroutines left behind.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/socketio"
)

// The heartbeat of the Go servers: short, so that a stopped heartbeat
// shows within a second, and long enough for the race detector.
const (
	sioPingInterval = 300 * time.Millisecond
	sioPingTimeout  = 600 * time.Millisecond
)

// sioRequire ends the test when node or socket.io-client is missing
// (a failure on CI).
func sioRequire(t *testing.T) string {
	t.Helper()
	node := nodeCommand(t)[0]
	if _, err := os.Stat("node_modules/socket.io-client/package.json"); err != nil {
		missingPeer(t, "the socket.io-client package is not installed in test/interop/node_modules")
	}
	return node
}

// sioEvent is a line socketio_client.js prints.
type sioEvent struct {
	Event       string            `json:"event"`
	ID          string            `json:"id"`
	SID         string            `json:"sid"`
	Transport   string            `json:"transport"`
	Message     string            `json:"message"`
	Data        json.RawMessage   `json:"data"`
	Reason      string            `json:"reason"`
	Description string            `json:"description"`
	Name        string            `json:"name"`
	Args        []json.RawMessage `json:"args"`
	Ack         int               `json:"ack"`
	Req         string            `json:"req"`
	Err         string            `json:"err"`
	Attempt     int               `json:"attempt"`
	Counts      map[string]int    `json:"counts"`

	at time.Time // when the line was read
}

// brief names the event with its most telling field.
func (ev sioEvent) brief() string {
	switch {
	case ev.Name != "":
		return ev.Event + " " + ev.Name
	case ev.Reason != "":
		return ev.Event + " " + ev.Reason
	case ev.Message != "":
		return ev.Event + " " + ev.Message
	case ev.Transport != "":
		return ev.Event + " " + ev.Transport
	}
	return ev.Event
}

func (ev sioEvent) String() string {
	b, _ := json.Marshal(ev)
	return string(b)
}

// sioClient is a running socketio_client.js with its sockets.
type sioClient struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr syncBuffer
	exited chan struct{} // closed when stdout has ended and the process was waited for
	reqs   atomic.Int64

	mu      sync.Mutex
	pending map[string][]sioEvent // events not taken yet, by socket id; guarded by mu
	changed chan struct{}         // closed and replaced when pending grows; guarded by mu
}

// startSIOClient starts the driver and stops it at the end of the test.
func startSIOClient(t *testing.T) *sioClient {
	t.Helper()
	node := sioRequire(t)
	c := &sioClient{
		exited:  make(chan struct{}),
		pending: map[string][]sioEvent{},
		changed: make(chan struct{}),
	}
	c.cmd = exec.Command(node, "socketio_client.js")
	c.cmd.Dir = "peers"
	var stdout io.Reader
	c.stdin, stdout = startPiped(t, c.cmd, &c.stderr)
	go func() {
		defer close(c.exited)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var ev sioEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Event == "" {
				fmt.Fprintf(&c.stderr, "[stdout] %s\n", sc.Bytes())
				continue
			}
			ev.at = time.Now()
			if ev.Event == "error" {
				fmt.Fprintf(&c.stderr, "[error] %s: %s\n", ev.ID, ev.Message)
			}
			c.mu.Lock()
			c.pending[ev.ID] = append(c.pending[ev.ID], ev)
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
		}
		c.cmd.Wait()
	}()
	t.Cleanup(func() { c.stop(t) })
	return c
}

// stop ends the driver: its sockets disconnect when stdin ends. It kills
// the process if it has not exited shortly after.
func (c *sioClient) stop(t *testing.T) {
	c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
	}
	if t.Failed() {
		if c.stderr.Len() > 0 {
			t.Logf("socketio_client.js stderr:\n%s", c.stderr.String())
		}
		c.mu.Lock()
		for id, evs := range c.pending {
			var names []string
			for _, ev := range evs {
				names = append(names, ev.brief())
			}
			if len(names) > 0 {
				t.Logf("socket %q: events not taken: %s", id, strings.Join(names, ", "))
			}
		}
		c.mu.Unlock()
	}
}

func (c *sioClient) send(t *testing.T, cmd map[string]any) {
	t.Helper()
	b, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.stdin.Write(append(b, '\n')); err != nil {
		t.Fatalf("command %s: %v", b, err)
	}
}

// connect opens socket id at url (which ends with the namespace) with the
// client options opts.
func (c *sioClient) connect(t *testing.T, id, url string, opts map[string]any) {
	t.Helper()
	c.send(t, map[string]any{"cmd": "connect", "id": id, "url": url, "opts": opts})
}

// connectFrom opens socket id on namespace nsp over the connection of
// socket from.
func (c *sioClient) connectFrom(t *testing.T, id, from, nsp string, opts map[string]any) {
	t.Helper()
	c.send(t, map[string]any{"cmd": "connect", "id": id, "from": from, "nsp": nsp, "opts": opts})
}

// emit makes socket id emit an event; ack is "", "callback" or
// "promise", timeout 0 for none. It returns the request id of the ack
// event.
func (c *sioClient) emit(t *testing.T, id, ack string, timeout time.Duration, name string, args ...any) string {
	t.Helper()
	req := strconv.FormatInt(c.reqs.Add(1), 10)
	cmd := map[string]any{"cmd": "emit", "id": id, "req": req, "name": name, "args": args, "ack": ack}
	if timeout > 0 {
		cmd["timeout"] = timeout.Milliseconds()
	}
	c.send(t, cmd)
	return req
}

// ack answers an event the client reported with ack n.
func (c *sioClient) ack(t *testing.T, n int, args ...any) {
	t.Helper()
	c.send(t, map[string]any{"cmd": "ack", "ack": n, "args": args})
}

func (c *sioClient) disconnect(t *testing.T, id string) {
	t.Helper()
	c.send(t, map[string]any{"cmd": "disconnect", "id": id})
}

// take returns, and removes, the first event of socket id that match
// accepts, waiting for it at most eventTimeout. Other events stay for
// later calls.
func (c *sioClient) take(t *testing.T, id string, what string, match func(sioEvent) bool) sioEvent {
	t.Helper()
	ev, ok := c.takeWithin(id, match, eventTimeout)
	if !ok {
		c.mu.Lock()
		seen := slices.Clone(c.pending[id])
		c.mu.Unlock()
		t.Fatalf("socket %s: no %s within %v; its events not taken: %v\nstderr:\n%s",
			id, what, eventTimeout, seen, c.stderr.String())
	}
	return ev
}

func (c *sioClient) takeWithin(id string, match func(sioEvent) bool, d time.Duration) (sioEvent, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		c.mu.Lock()
		for i, ev := range c.pending[id] {
			if match(ev) {
				c.pending[id] = slices.Delete(c.pending[id], i, i+1)
				c.mu.Unlock()
				return ev, true
			}
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-c.exited:
			// Look once more at what came before the end.
			c.mu.Lock()
			for i, ev := range c.pending[id] {
				if match(ev) {
					c.pending[id] = slices.Delete(c.pending[id], i, i+1)
					c.mu.Unlock()
					return ev, true
				}
			}
			c.mu.Unlock()
			return sioEvent{}, false
		case <-timer.C:
			return sioEvent{}, false
		}
	}
}

// next returns the next event of the kind ("connect", "disconnect", ...).
func (c *sioClient) next(t *testing.T, id, kind string) sioEvent {
	t.Helper()
	return c.take(t, id, fmt.Sprintf("%q event", kind), func(ev sioEvent) bool { return ev.Event == kind })
}

// event returns the next received event called name.
func (c *sioClient) event(t *testing.T, id, name string) sioEvent {
	t.Helper()
	return c.take(t, id, fmt.Sprintf("event %q", name), func(ev sioEvent) bool { return ev.Event == "event" && ev.Name == name })
}

// ackOf returns the acknowledgement of the emit with request id req.
func (c *sioClient) ackOf(t *testing.T, id, req string) sioEvent {
	t.Helper()
	return c.take(t, id, "acknowledgement "+req, func(ev sioEvent) bool { return ev.Event == "ack" && ev.Req == req })
}

// connected waits for socket id's connect event and returns it.
func (c *sioClient) connected(t *testing.T, id string) sioEvent {
	t.Helper()
	ev := c.take(t, id, "connect", func(ev sioEvent) bool {
		if ev.Event == "connect_error" {
			t.Fatalf("socket %s: connect_error %q (data %s)", id, ev.Message, ev.Data)
		}
		return ev.Event == "connect"
	})
	if ev.SID == "" {
		t.Fatalf("socket %s: connect without an id: %v", id, ev)
	}
	return ev
}

// bin is a binary value in the driver's JSON.
func bin(b []byte) map[string]any {
	return map[string]any{"$bin": base64.StdEncoding.EncodeToString(b)}
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// checkArgs checks the arguments of an event or an acknowledgement
// against want, encoded as the driver encodes them.
func checkArgs(t *testing.T, what string, got []json.RawMessage, want ...any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !jsonEqual(g, w) {
		t.Errorf("%s: arguments %s, want %s", what, g, w)
	}
}

// sioServerSocket is a socket of the Go server, as the tests see it.
type sioServerSocket struct {
	s            *socketio.Socket
	notes        chan []socketio.Raw // the arguments of "note" events
	disconnected chan string         // the reason, once
}

// sioServer is a socketio.Server at /socket.io/ of an httptest server on
// 127.0.0.1, with the handlers the tests use:
//
// on "/": "welcome" emitted on connection with the auth payload and the
// namespace; "double" acknowledged with twice its number; "echo"
// acknowledged with its arguments; "upload" decoded into sioUpload and
// acknowledged with what the server found; "silent" never acknowledged;
// "join" joins a room; "ask" makes the server emit the event it names,
// with "6*7?", and acknowledge with the client's answer; "note" recorded.
//
// on "/admin": a middleware that lets in only the auth token "secret", and
// "welcome" on connection.
type sioServer struct {
	io  *socketio.Server
	ts  *httptest.Server
	url string // http://127.0.0.1:PORT

	mu      sync.Mutex
	sockets map[string]*sioServerSocket // by socket id; guarded by mu
	added   chan struct{}               // closed and replaced when sockets grows; guarded by mu
	stopped bool                        // guarded by mu
	polls   map[string]*pollState       // long-polling GETs by Engine.IO session id; guarded by mu

	log syncBuffer // what the server logs, shown when the test fails
}

// pollState follows the long-polling GETs of one session, as they pass
// through the server's handler.
type pollState struct {
	since time.Time     // when the GET in the engine started; zero when none is
	hold  chan struct{} // non-nil: GETs wait here before the engine sees them, until it is closed
	held  chan struct{} // closed when a GET is held
}

// sioUpload is what the clients send with "upload".
type sioUpload struct {
	Name  string   `json:"name"`
	Data  []byte   `json:"data"`
	Parts [][]byte `json:"parts"`
	Meta  struct {
		Sum []byte `json:"sum"`
	} `json:"meta"`
}

// startSIOServer starts a server listening on addr ("127.0.0.1:0" for
// any port); engine adjusts the Engine.IO options, and mount adds other
// routes. It is stopped at the end of the test if not before.
func startSIOServer(t *testing.T, addr string, engine func(*engineio.Options), mount ...func(*http.ServeMux)) *sioServer {
	t.Helper()
	eopts := &engineio.Options{PingInterval: sioPingInterval, PingTimeout: sioPingTimeout}
	if engine != nil {
		engine(eopts)
	}
	s := &sioServer{sockets: map[string]*sioServerSocket{}, added: make(chan struct{}), polls: map[string]*pollState{}}
	s.io = socketio.NewServer(&socketio.Options{
		Engine: eopts,
		Logger: slog.New(slog.NewTextHandler(&s.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	s.io.OnConnection(func(sock *socketio.Socket) {
		s.register(sock)
		sock.Emit("welcome", map[string]any{"auth": sock.Handshake().Auth, "nsp": "/"})
		sock.On("double", func(n int, ack socketio.AckFunc) { ack(2 * n) })
		sock.On("echo", func(ev *socketio.Event) {
			if ev.Ack != nil {
				ev.Ack(ev.Values()...)
			}
		})
		sock.On("upload", func(u sioUpload, ack socketio.AckFunc) {
			reversed := slices.Clone(u.Data)
			slices.Reverse(reversed)
			ack(map[string]any{
				"name":  u.Name,
				"size":  len(u.Data),
				"data":  reversed,
				"parts": u.Parts,
				"sum":   u.Meta.Sum,
			})
		})
		sock.On("silent", func(ack socketio.AckFunc) {})
		sock.On("join", func(room string, ack socketio.AckFunc) {
			ack(sock.Join(room) == nil)
		})
		sock.On("ask", func(event string, ack socketio.AckFunc) {
			ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
			defer cancel()
			res, err := sock.EmitWithAck(ctx, event, "6*7?")
			if err != nil || len(res) == 0 {
				ack(map[string]any{"error": fmt.Sprint(err)})
				return
			}
			ack(res[0])
		})
	})
	admin := s.io.Of("/admin")
	admin.Use(func(sock *socketio.Socket, next func(error)) {
		if sock.Handshake().Auth["token"] != "secret" {
			next(&socketio.ConnectError{Message: "not authorized", Data: map[string]any{"reason": "bad token", "retry": false}})
			return
		}
		next(nil)
	})
	admin.OnConnection(func(sock *socketio.Socket) {
		s.register(sock)
		sock.Emit("welcome", map[string]any{"auth": sock.Handshake().Auth, "nsp": "/admin"})
	})

	mux := http.NewServeMux()
	mux.HandleFunc("/socket.io/", s.serveHTTP)
	for _, m := range mount {
		m(mux)
	}
	s.ts = httptest.NewUnstartedServer(mux)
	ln, err := listenRetry(addr)
	if err != nil {
		t.Fatal(err)
	}
	s.ts.Listener.Close()
	s.ts.Listener = ln
	s.ts.Start()
	s.url = s.ts.URL
	t.Cleanup(func() { s.stop(t) })
	return s
}

// listenRetry listens on addr, retrying for a while when the port of a
// server that just stopped is not free yet.
func listenRetry(addr string) (net.Listener, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			return ln, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serveHTTP passes requests to the Socket.IO server, noting the
// long-polling GETs and holding them back when the test says so.
func (s *sioServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sid := q.Get("sid")
	// Note each request in the log shown when a test fails.
	start := time.Now()
	var body []byte
	if r.Method == http.MethodPost {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rec := &statusRecorder{ResponseWriter: w}
	w = rec
	defer func() {
		fmt.Fprintf(&s.log, "%s request %s %s sid=%s transport=%s body=%.60q status=%d took=%v canceled=%v\n",
			start.Format("15:04:05.000000"), r.Method, r.URL.Path, sid, q.Get("transport"), body, rec.status, time.Since(start).Round(time.Microsecond), r.Context().Err() != nil)
	}()
	if r.Method != http.MethodGet || q.Get("transport") != "polling" || sid == "" {
		s.io.ServeHTTP(w, r)
		return
	}
	s.mu.Lock()
	ps := s.pollLocked(sid)
	hold, held := ps.hold, ps.held
	s.mu.Unlock()
	if hold != nil {
		close(held)
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	ps.since = time.Now()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		ps.since = time.Time{}
		s.mu.Unlock()
	}()
	s.io.ServeHTTP(w, r)
}

// statusRecorder notes the status of a response; it lets WebSocket
// handshakes take the connection over.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *sioServer) pollLocked(sid string) *pollState {
	ps := s.polls[sid]
	if ps == nil {
		ps = &pollState{}
		s.polls[sid] = ps
	}
	return ps
}

// holdPolls makes the next GETs of session sid wait before the engine
// sees them, and waits until one does: the engine then has no GET to
// answer, and queues what is sent. The returned function lets them go.
func (s *sioServer) holdPolls(t *testing.T, sid string) (release func()) {
	t.Helper()
	s.mu.Lock()
	ps := s.pollLocked(sid)
	ps.hold, ps.held = make(chan struct{}), make(chan struct{})
	hold, held := ps.hold, ps.held
	s.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			s.mu.Lock()
			ps.hold, ps.held = nil, nil
			s.mu.Unlock()
			close(hold)
		})
	}
	t.Cleanup(release)
	select {
	case <-held:
	case <-time.After(eventTimeout):
		t.Fatalf("session %s: no GET came to hold", sid)
	}
	// The GET before it has left the engine.
	deadline := time.Now().Add(eventTimeout)
	for {
		s.mu.Lock()
		since := ps.since
		s.mu.Unlock()
		if since.IsZero() {
			return release
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s: a GET still in the engine", sid)
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *sioServer) register(sock *socketio.Socket) {
	ss := &sioServerSocket{s: sock, notes: make(chan []socketio.Raw, 16), disconnected: make(chan string, 1)}
	sock.On("note", func(ev *socketio.Event) {
		select {
		case ss.notes <- ev.Args:
		default:
		}
	})
	sock.OnDisconnect(func(reason string) {
		fmt.Fprintf(&s.log, "%s socket %s (session %s) disconnected: %s\n",
			time.Now().Format("15:04:05.000000"), sock.ID(), sock.Conn().ID(), reason)
		ss.disconnected <- reason
	})
	s.mu.Lock()
	s.sockets[sock.ID()] = ss
	close(s.added)
	s.added = make(chan struct{})
	s.mu.Unlock()
}

// socket returns the server's socket with the id a client reported.
func (s *sioServer) socket(t *testing.T, id string) *sioServerSocket {
	t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ss, ok := s.sockets[id]
		added := s.added
		s.mu.Unlock()
		if ok {
			return ss
		}
		select {
		case <-added:
		case <-timer.C:
			t.Fatalf("the server has no socket %s", id)
		}
	}
}

// hasSocket reports whether a socket with the id ever connected.
func (s *sioServer) hasSocket(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sockets[id]
	return ok
}

// waitDisconnect returns the reason the server's socket got.
func (ss *sioServerSocket) waitDisconnect(t *testing.T) string {
	t.Helper()
	select {
	case r := <-ss.disconnected:
		return r
	case <-time.After(eventTimeout):
		t.Fatalf("socket %s: the server saw no disconnection", ss.s.ID())
		return ""
	}
}

// disconnectReason returns the reason the server's socket got, or "" if
// it is still connected; for messages.
func (ss *sioServerSocket) disconnectReason() string {
	select {
	case r := <-ss.disconnected:
		ss.disconnected <- r
		return r
	default:
		return ""
	}
}

// nextNote returns the arguments of the socket's next "note" event.
func (ss *sioServerSocket) nextNote(t *testing.T) []socketio.Raw {
	t.Helper()
	select {
	case args := <-ss.notes:
		return args
	case <-time.After(eventTimeout):
		t.Fatalf("socket %s: no note", ss.s.ID())
		return nil
	}
}

// stop shuts the server down as a server going away does: every client
// is disconnected ("server shutting down") and sees its transport close.
func (s *sioServer) stop(t *testing.T) {
	s.mu.Lock()
	stopped := s.stopped
	s.stopped = true
	s.mu.Unlock()
	if stopped {
		return
	}
	defer func() {
		if t.Failed() && s.log.Len() > 0 {
			t.Logf("server log:\n%s", s.log.String())
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	if err := s.io.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	s.ts.Close()
}

// waitNoSessions waits until the server holds no Engine.IO session.
func (s *sioServer) waitNoSessions(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(eventTimeout)
	for s.io.Engine().Len() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still open", s.io.Engine().Len())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A pausableProxy forwards TCP connections to a server until paused;
// paused, it holds what it reads, as a network that stopped delivering
// would.
type pausableProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	conns  []net.Conn    // guarded by mu
	paused chan struct{} // non-nil while paused, closed on Resume or Close; guarded by mu
	closed bool          // guarded by mu
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *pausableProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pausableProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

func (p *pausableProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *pausableProxy) accept() {
	defer p.wg.Done()
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			down.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			down.Close()
			up.Close()
			return
		}
		p.conns = append(p.conns, down, up)
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(up, down)
		go p.pipe(down, up)
	}
}

// pipe copies from src to dst, waiting while the proxy is paused.
func (p *pausableProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			paused, closed := p.paused, p.closed
			p.mu.Unlock()
			if paused != nil {
				<-paused
				p.mu.Lock()
				closed = p.closed
				p.mu.Unlock()
			}
			if closed {
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Pause stops the forwarding of every connection, in both directions.
func (p *pausableProxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused == nil && !p.closed {
		p.paused = make(chan struct{})
	}
}

// Close closes the listener and every connection, and waits for the
// proxy's goroutines.
func (p *pausableProxy) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		if p.paused != nil {
			close(p.paused)
		}
		p.ln.Close()
		for _, c := range p.conns {
			c.Close()
		}
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// A goroutineMark is the set of goroutines running at a point of a test:
// those that start later are not in it. (Goroutine ids are unique, but
// not handed out in order across threads, so a set, not the largest id.)
type goroutineMark map[int64]bool

func markGoroutines() goroutineMark {
	m := goroutineMark{}
	for _, g := range goroutineStacks() {
		m[g.id] = true
	}
	return m
}

type goroutineStack struct {
	id    int64
	stack string
}

func goroutineStacks() []goroutineStack {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var gs []goroutineStack
	for _, g := range strings.Split(string(buf), "\n\n") {
		var id int64
		if _, err := fmt.Sscanf(g, "goroutine %d ", &id); err == nil {
			gs = append(gs, goroutineStack{id, g})
		}
	}
	return gs
}

// duplexGoroutines returns the stacks of the goroutines started after
// mark that run code of packages engineio, socketio or websocket. The
// websocket package's poller, one per process for connections served
// with websocket.Serve, is not counted.
func duplexGoroutines(mark goroutineMark) []string {
	var left []string
	for _, g := range goroutineStacks() {
		if mark[g.id] || pollerIdle(g.stack) {
			continue
		}
		for _, pkg := range []string{"duplex/engineio.", "duplex/socketio.", "duplex/websocket."} {
			if strings.Contains(g.stack, pkg) {
				left = append(left, g.stack)
				break
			}
		}
	}
	return left
}

// pollerIdle reports whether stack g is the loop of package websocket's
// poller, which serves every served connection of the process and
// outlives any one of them. (Its idle workers run no code of this
// module's packages but internal/gopool.)
func pollerIdle(g string) bool {
	return strings.Contains(g, "websocket.(*poller).loop")
}

// checkNoGoroutinesLeft fails the test if goroutines of engineio,
// socketio or websocket started after mark are still running after a
// grace period of 5 s, with their stacks.
func checkNoGoroutinesLeft(t *testing.T, what string, mark goroutineMark) {
	t.Helper()
	checkNoGoroutinesLeftWithin(t, what, mark, 5*time.Second)
}

// checkNoGoroutinesLeftWithin is checkNoGoroutinesLeft with a grace
// period of its own.
func checkNoGoroutinesLeftWithin(t *testing.T, what string, mark goroutineMark, grace time.Duration) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(grace); ; time.Sleep(20 * time.Millisecond) {
		if left = duplexGoroutines(mark); len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("%s: %d goroutines of engineio, socketio or websocket left behind:\n%s",
			what, len(left), strings.Join(left, "\n\n"))
	}
}
