package socketio

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/internal/timers"
)

// Options configures a Server. A nil *Options means the defaults.
type Options struct {
	// Engine configures the Engine.IO server underneath (heartbeat,
	// transports, CORS, payload and send queue limits). Its OnSession is
	// the Server's own: a value set there is ignored.
	Engine *engineio.Options

	// ConnectTimeout is how long a client may keep its Engine.IO session
	// open without joining a namespace before it is dropped; 0 means 45 s,
	// as in the reference server.
	ConnectTimeout time.Duration

	// Adapter makes the Adapter of each namespace; nil means
	// NewMemoryAdapter, which serves one server.
	Adapter func(nsp *Namespace) Adapter

	// MaxAttachments bounds the binary attachments of one received packet;
	// 0 means DefaultMaxAttachments. A client that announces more is
	// disconnected with "parse error".
	MaxAttachments int

	// MaxPendingEvents bounds the packets of one client that wait for its
	// handlers; 0 means 256. When they are all taken, the server stops
	// reading from that client until its handlers catch up, for as long
	// as the Engine.IO ping timeout, after which it disconnects the client
	// with "forced server close".
	MaxPendingEvents int

	// CleanupEmptyChildNamespaces removes a namespace created for a
	// client by OfFunc or OfRegexp once its last socket leaves, so that
	// clients cannot make the server hold any number of namespaces.
	CleanupEmptyChildNamespaces bool

	// Logger receives what the server cannot return to a caller: handler
	// errors and panics, arguments that do not decode, clients dropped for
	// being too slow. nil means slog.Default().
	Logger *slog.Logger
}

// A Server is a Socket.IO server (protocol v5): an http.Handler to mount
// at the path clients use, "/socket.io/" by default in the clients:
//
//	io := socketio.NewServer(nil)
//	http.Handle("/socket.io/", io)
//
// It holds the namespaces; the main namespace "/" exists from the start.
// Its methods are safe for concurrent use.
type Server struct {
	engine *engineio.Server
	opts   Options // immutable after NewServer, defaults filled in
	log    *slog.Logger
	main   *Namespace // the namespace "/"; immutable

	pendingWait time.Duration // how long a client's reading may wait for its handlers; immutable

	dropped atomic.Uint64 // volatile packets dropped on full queues

	mu      sync.Mutex
	nsps    map[string]*Namespace // by name; guarded by mu
	parents []*ParentNamespace    // in the order they were made; guarded by mu
	clients map[*client]struct{}  // open Engine.IO sessions; guarded by mu
	closing bool                  // Shutdown was called; guarded by mu

	dispatchers     tracker                // the goroutines running handlers
	connectTimeouts *timers.Queue[*client] // clients that joined no namespace yet
}

// NewServer returns a Server configured by opts; nil means the defaults.
func NewServer(opts *Options) *Server {
	s := &Server{
		nsps:            make(map[string]*Namespace),
		clients:         make(map[*client]struct{}),
		connectTimeouts: timers.New((*client).connectTimedOut, connectTimeoutEntry),
	}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.ConnectTimeout <= 0 {
		s.opts.ConnectTimeout = 45 * time.Second
	}
	if s.opts.MaxAttachments <= 0 {
		s.opts.MaxAttachments = DefaultMaxAttachments
	}
	if s.opts.MaxPendingEvents <= 0 {
		s.opts.MaxPendingEvents = 256
	}
	if s.opts.Adapter == nil {
		s.opts.Adapter = func(nsp *Namespace) Adapter { return NewMemoryAdapter(nsp) }
	}
	s.log = s.opts.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	var eopts engineio.Options
	if s.opts.Engine != nil {
		eopts = *s.opts.Engine
	}
	eopts.OnSession = s.onSession
	s.pendingWait = eopts.PingTimeout
	if s.pendingWait <= 0 {
		s.pendingWait = 20 * time.Second // engineio's default
	}
	s.engine = engineio.NewServer(&eopts)
	s.main = s.Of("/")
	return s
}

// ServeHTTP serves the Engine.IO requests that carry the Socket.IO
// sessions.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.engine.ServeHTTP(w, r)
}

// Engine returns the Engine.IO server underneath.
func (s *Server) Engine() *engineio.Server { return s.engine }

// Of returns the namespace called name, making it if needed. A name
// without a leading "/" gets one. A new name that a regular expression
// given to OfRegexp matches makes a child of that dynamic namespace.
//
// Of panics if name contains a comma, which the protocol uses to end
// namespace names.
func (s *Server) Of(name string) *Namespace {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	if strings.IndexByte(name, ',') >= 0 {
		panic("socketio: namespace name " + name + " contains a comma")
	}
	s.mu.Lock()
	n := s.nsps[name]
	var parent *ParentNamespace
	for _, p := range s.parents {
		if p.re != nil && p.re.MatchString(name) {
			parent = p
			break
		}
	}
	s.mu.Unlock()
	if n != nil {
		return n
	}
	return s.register(name, parent)
}

// register makes a namespace and adds it to the server, unless one of the
// name was added meanwhile: that one is returned instead. The adapter is
// made without the server's lock held, since it may take time (an adapter
// for several servers subscribes to its channels).
func (s *Server) register(name string, parent *ParentNamespace) *Namespace {
	n := newNamespace(s, name, parent)
	s.mu.Lock()
	if old := s.nsps[name]; old != nil {
		s.mu.Unlock()
		n.adapter.Close()
		return old
	}
	s.nsps[name] = n
	s.mu.Unlock()
	if parent != nil {
		parent.addChild(n)
	}
	return n
}

// OfFunc makes a dynamic namespace: a client that connects to a namespace
// that does not exist gets it made when match returns true for its name
// and CONNECT payload. Dynamic namespaces are asked in the order they were
// made. match runs on the goroutine that serves the client's events, and
// may run for several clients at once.
func (s *Server) OfFunc(match func(name string, auth map[string]any) bool) *ParentNamespace {
	p := &ParentNamespace{srv: s, match: match}
	s.mu.Lock()
	s.parents = append(s.parents, p)
	s.mu.Unlock()
	return p
}

// OfRegexp makes a dynamic namespace for the names re matches, as OfFunc
// does; Of also makes its children for such names.
func (s *Server) OfRegexp(re *regexp.Regexp) *ParentNamespace {
	p := &ParentNamespace{srv: s, re: re, match: func(name string, _ map[string]any) bool { return re.MatchString(name) }}
	s.mu.Lock()
	s.parents = append(s.parents, p)
	s.mu.Unlock()
	return p
}

// lookup returns the namespace a client asks for: an existing one, or a
// child made for a dynamic namespace that accepts it, or nil.
func (s *Server) lookup(name string, auth map[string]any) *Namespace {
	s.mu.Lock()
	if n := s.nsps[name]; n != nil {
		s.mu.Unlock()
		return n
	}
	parents := append([]*ParentNamespace(nil), s.parents...)
	s.mu.Unlock()
	if strings.IndexByte(name, ',') >= 0 {
		return nil
	}
	for _, p := range parents {
		if !p.match(name, auth) {
			continue
		}
		return s.register(name, p)
	}
	return nil
}

// removeNamespace forgets an empty child namespace (see
// Options.CleanupEmptyChildNamespaces).
func (s *Server) removeNamespace(n *Namespace) {
	s.mu.Lock()
	if s.nsps[n.name] == n {
		delete(s.nsps, n.name)
	}
	s.mu.Unlock()
	if n.parent != nil {
		n.parent.removeChild(n)
	}
	if err := n.adapter.Close(); err != nil {
		s.log.Warn("socketio: closing the adapter of an empty namespace", "namespace", n.name, "err", err)
	}
}

// namespaces returns the namespaces.
func (s *Server) namespaces() []*Namespace {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Namespace, 0, len(s.nsps))
	for _, n := range s.nsps {
		out = append(out, n)
	}
	return out
}

// OnConnection adds f to the connection handlers of the main namespace.
func (s *Server) OnConnection(f func(s *Socket)) { s.main.OnConnection(f) }

// Use adds a middleware to the main namespace.
func (s *Server) Use(f func(s *Socket, next func(err error))) { s.main.Use(f) }

// Emit sends an event to every client of the main namespace.
func (s *Server) Emit(event string, args ...any) error { return s.main.Emit(event, args...) }

// To selects the sockets of the main namespace in any of the rooms.
func (s *Server) To(rooms ...string) *BroadcastOperator { return s.main.To(rooms...) }

// In is To.
func (s *Server) In(rooms ...string) *BroadcastOperator { return s.main.To(rooms...) }

// Except selects the sockets of the main namespace in none of the rooms.
func (s *Server) Except(rooms ...string) *BroadcastOperator { return s.main.Except(rooms...) }

// Dropped returns how many volatile packets were not sent because the
// client's send queue was full.
func (s *Server) Dropped() uint64 { return s.dropped.Load() }

// Shutdown disconnects every client with the reason "server shutting
// down", closes the adapters and the Engine.IO sessions (the clients see
// their transport close and reconnect later), and waits until the
// disconnect handlers have returned, or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	clients := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	for _, c := range clients {
		c.closeSockets(ReasonServerShuttingDown)
	}
	err := s.engine.Shutdown(ctx)
	for _, n := range s.namespaces() {
		if cerr := n.adapter.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if werr := s.dispatchers.wait(ctx); err == nil {
		err = werr
	}
	return err
}

// onSession starts serving a new Engine.IO session.
func (s *Server) onSession(sess *engineio.Session) {
	c := newClient(s, sess)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		sess.Close()
		return
	}
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	sess.OnMessage(c.onMessage)
	sess.OnClose(c.onClose)
	c.startConnectTimer(s.opts.ConnectTimeout)
}

func (s *Server) removeClient(c *client) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// A tracker counts running goroutines and lets Shutdown wait for them.
type tracker struct {
	mu   sync.Mutex
	n    int           // guarded by mu
	zero chan struct{} // closed when n drops to 0; guarded by mu
}

func (t *tracker) add() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 && t.zero != nil {
		close(t.zero)
		t.zero = nil
	}
	t.mu.Unlock()
}

func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return nil
	}
	if t.zero == nil {
		t.zero = make(chan struct{})
	}
	z := t.zero
	t.mu.Unlock()
	select {
	case <-z:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
