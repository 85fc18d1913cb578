package engineio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duplexrt/duplex/internal/gopool"
	"github.com/duplexrt/duplex/internal/timers"
	"github.com/duplexrt/duplex/websocket"
)

// A Server is an Engine.IO server: an http.Handler that clients reach at
// one path (the protocol's default is /engine.io/) with the query
// parameters EIO, transport and sid. Its methods are safe for concurrent
// use.
type Server struct {
	cfg *config // immutable after NewServer

	mu       sync.Mutex
	sessions map[string]*Session // open and closing sessions by id; guarded by mu
	shutdown bool                // Shutdown was called; guarded by mu

	work  tracker                 // the goroutines the package started
	beats *timers.Queue[*Session] // the heartbeats of the open sessions
}

// NewServer returns a Server configured by opts; nil means the defaults.
func NewServer(opts *Options) *Server {
	return &Server{
		cfg:      newConfig(opts),
		sessions: make(map[string]*Session),
		beats:    timers.New((*Session).onHeartbeat, heartbeatEntry),
	}
}

// ServeHTTP handles one Engine.IO request: a handshake, a long-polling GET
// or POST, a WebSocket connection or upgrade, or a CORS preflight. Bad
// requests get the reference server's JSON errors.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	transport := queryValue(r.URL.RawQuery, "transport")
	upgrade := isWebSocketRequest(r)
	if c := srv.cfg.cors; c != nil && !upgrade {
		// The reference server runs the cors middleware before anything
		// else, so errors carry the headers too and any preflight is
		// answered.
		c.setHeaders(w.Header(), r)
		if r.Method == http.MethodOptions {
			c.preflight(w, r)
			return
		}
	}
	if !srv.cfg.allows(transport) {
		writeError(w, codeUnknownTransport, 0, "")
		return
	}
	// Spec: "Query parameters": EIO is mandatory, and this server speaks
	// only version 4.
	if queryValue(r.URL.RawQuery, "EIO") != "4" {
		writeError(w, codeUnsupportedProtocolVersion, 0, "")
		return
	}
	if sid := queryValue(r.URL.RawQuery, "sid"); sid != "" {
		s := srv.session(sid)
		if s == nil {
			writeError(w, codeUnknownSID, 0, "")
			return
		}
		if transport == transportWebSocket {
			srv.upgrade(w, r, s)
		} else {
			s.servePolling(w, r)
		}
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, codeBadHandshakeMethod, 0, "")
		return
	}
	if transport == transportWebSocket && !upgrade {
		writeError(w, codeBadRequest, 0, "")
		return
	}
	if !srv.allowRequest(w, r) {
		return
	}
	if transport == transportWebSocket {
		srv.openWebSocket(w, r)
	} else {
		srv.openPolling(w, r)
	}
}

// allowRequest asks Options.AllowRequest about a handshake or upgrade and
// answers a refusal with 403.
func (srv *Server) allowRequest(w http.ResponseWriter, r *http.Request) bool {
	if srv.cfg.allowRequest == nil {
		return true
	}
	if err := srv.cfg.allowRequest(r); err != nil {
		writeError(w, codeForbidden, 0, err.Error())
		return false
	}
	return true
}

// isWebSocketRequest reports whether r asks for a WebSocket connection
// (RFC 6455, section 4.2.1: an Upgrade header with the "websocket" token).
// websocket.Accept checks the rest of the handshake.
func isWebSocketRequest(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}

// shutdownGrace is how long Shutdown waits for a polling client with no
// GET waiting to come back for its last packets and the close packet.
// Clients poll again as soon as a response ends.
const shutdownGrace = time.Second

// Shutdown closes every session with the reason "server shutting down" and
// waits until their connections are closed and their OnClose callbacks
// have returned, or ctx ends. Handshakes after Shutdown are refused with
// 503. The messages already queued are sent first. A long-polling client
// then gets the close packet, in answer to its pending GET or to the next
// one it makes within a second (after that its session is dropped); a
// WebSocket is closed with code 1001 (going away) and the reason "server
// shutting down".
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.mu.Lock()
	srv.shutdown = true
	list := make([]*Session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		list = append(list, s)
	}
	srv.mu.Unlock()
	for _, s := range list {
		s.mu.Lock()
		switch {
		case s.state == stateOpen:
			s.closeLocked(reasonShutdown, min(shutdownGrace, srv.cfg.stall))
		case s.state == stateClosing:
			s.armCloseTimerLocked(min(shutdownGrace, srv.cfg.stall))
		}
		s.mu.Unlock()
	}
	return srv.work.wait(ctx)
}

// Len returns the number of open sessions.
func (srv *Server) Len() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return len(srv.sessions)
}

// session returns the session with id sid, or nil.
func (srv *Server) session(sid string) *Session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.sessions[sid]
}

// addLocked registers a new session, unless the server is shutting down.
// s.mu is held: the lock order is Session.mu, then Server.mu.
func (srv *Server) addLocked(s *Session) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.shutdown || srv.sessions[s.id] != nil {
		return false
	}
	srv.sessions[s.id] = s
	return true
}

// removeLocked unregisters a finished session; s.mu is held.
func (srv *Server) removeLocked(s *Session) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.sessions[s.id] == s {
		delete(srv.sessions, s.id)
	}
}

// newID returns a session id: 15 bytes from crypto/rand in base64url, 20
// characters, like the reference server's.
func newID() string {
	var b [15]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// openPacket returns the open packet of a session (spec: "Handshake"):
// '0' and a JSON object with exactly these keys.
func (srv *Server) openPacket(id, transport string) outPacket {
	// The handshake's JSON, written by hand: the id is base64url and the
	// transport names are plain words, so nothing needs escaping.
	upgrades := srv.cfg.upgradesFrom(transport)
	b, class := packetBuffer(112 + len(id))
	b = append(b[:0], byte(packetOpen))
	b = append(b, `{"sid":"`...)
	b = append(b, id...)
	b = append(b, `","upgrades":[`...)
	for i, u := range upgrades {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, u)
	}
	b = append(b, `],"pingInterval":`...)
	b = strconv.AppendInt(b, srv.cfg.pingInterval.Milliseconds(), 10)
	b = append(b, `,"pingTimeout":`...)
	b = strconv.AppendInt(b, srv.cfg.pingTimeout.Milliseconds(), 10)
	b = append(b, `,"maxPayload":`...)
	b = strconv.AppendInt(b, srv.cfg.maxPayload, 10)
	return outPacket{data: append(b, '}'), class: class}
}

// setCookie sets the session cookie on a handshake response, if
// configured.
func (srv *Server) setCookie(w http.ResponseWriter, id string) {
	if srv.cfg.cookie == nil {
		return
	}
	c := *srv.cfg.cookie
	c.Value = id
	http.SetCookie(w, &c)
}

// openPolling answers a polling handshake: the first GET of a session,
// which gets the open packet at once.
func (srv *Server) openPolling(w http.ResponseWriter, r *http.Request) {
	s := srv.newSession(newID(), r, transportPolling)
	if !srv.start(s) {
		writeError(w, codeBadRequest, http.StatusServiceUnavailable, "")
		return
	}
	srv.setCookie(w, s.id)
	s.servePoll(w, r)
}

// openWebSocket answers a WebSocket handshake without sid: a session that
// uses WebSocket from the start, whose first message is the open packet.
func (srv *Server) openWebSocket(w http.ResponseWriter, r *http.Request) {
	id := newID()
	srv.setCookie(w, id)
	conn, err := websocket.Accept(w, r, srv.acceptOptions(r))
	if err != nil {
		return // Accept answered the request
	}
	s := srv.newSession(id, r, transportWebSocket)
	t := &wsConn{conn: conn}
	s.ws = t
	if !srv.start(s) {
		return // the session is finished, which closes conn
	}
	s.mu.Lock()
	if s.state != stateClosed {
		s.serveWS(t)
	}
	s.mu.Unlock()
}

// start queues the open packet of a new session, calls OnSession, then
// registers the session and starts its heartbeat. It returns false when
// the server is shutting down; the session is then finished.
func (srv *Server) start(s *Session) bool {
	s.mu.Lock()
	s.queue = append(s.queue, srv.openPacket(s.id, s.transportLocked()))
	s.mu.Unlock()
	if srv.cfg.onSession != nil {
		srv.cfg.onSession(s)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !srv.addLocked(s) {
		s.finishLocked(reasonShutdown, nil, nil)
		return false
	}
	if s.state == stateOpen {
		s.scheduleLocked(srv.cfg.pingInterval)
	}
	// A session that OnSession closed is registered all the same, so that
	// the client gets the open packet, then the close.
	s.kickLocked()
	return true
}

// acceptOptions returns the options of websocket.Accept for r. The origin
// check is websocket's own (same host only), skipped for origins that
// Options.CORS allows.
func (srv *Server) acceptOptions(r *http.Request) *websocket.AcceptOptions {
	if c := srv.cfg.cors; c != nil && c.allows(r.Header.Get("Origin")) {
		return &srv.cfg.acceptCORS
	}
	return &srv.cfg.acceptOwn
}

// goTracked runs f in a goroutine that Shutdown waits for.
func (srv *Server) goTracked(f func()) {
	srv.work.add()
	gopool.Go(func() {
		defer srv.work.done()
		f()
	})
}

// A tracker counts running goroutines and lets one wait until none is
// left. Unlike a sync.WaitGroup, it may grow again after reaching zero.
type tracker struct {
	mu   sync.Mutex
	n    int           // guarded by mu
	idle chan struct{} // closed when n drops to zero; guarded by mu
}

func (t *tracker) add() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		t.idle = make(chan struct{})
	}
	t.n++
}

func (t *tracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n--; t.n == 0 {
		close(t.idle)
	}
}

func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return nil
	}
	idle := t.idle
	t.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
