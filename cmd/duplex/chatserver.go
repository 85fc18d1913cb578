package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/duplexrt/duplex/internal/chat"
	"github.com/duplexrt/duplex/internal/web"
	"github.com/duplexrt/duplex/websocket"
)

// welcomeMessage greets every new connection.
const welcomeMessage = "Welcome to the chat room."

// Limits of the chat server.
const (
	// chatQueueSize is how many messages may wait for one client before
	// it is disconnected as too slow (see package chat).
	chatQueueSize = 64

	// chatWriteTimeout bounds writing one message to a client.
	chatWriteTimeout = 10 * time.Second

	// chatPingInterval is how often idle connections are pinged; a peer
	// that does not answer within the interval is disconnected.
	chatPingInterval = 30 * time.Second
)

// chatServer is the application of duplex serve: the chat page and the
// chat's WebSocket on "/", the chat over Socket.IO at /socket.io/ (unless
// turned off), and /healthz. Every other path is 404.
type chatServer struct {
	// Immutable after newChatServer.
	hub    *chat.Hub
	sio    *socketChat // nil without Socket.IO
	log    *slog.Logger
	accept *websocket.AcceptOptions
	page   http.Handler
	mux    *http.ServeMux

	mu       sync.Mutex
	closing  bool           // shutdown has begun; guarded by mu
	handlers sync.WaitGroup // one per WebSocket request being handled; Add only under mu while !closing
}

// newChatServer returns the chat application. cfg.accept configures the
// WebSocket handshake (origins, read limit, compression), of the
// Socket.IO clients too; cfg.noSocketIO leaves Socket.IO out.
func newChatServer(cfg serveConfig, log *slog.Logger) *chatServer {
	accept := cfg.accept
	accept.PingInterval = chatPingInterval
	s := &chatServer{
		hub: chat.NewHub(&chat.Options{
			QueueSize:    chatQueueSize,
			WriteTimeout: chatWriteTimeout,
			Welcome:      []byte(welcomeMessage),
			Logger:       log,
		}),
		log:    log,
		accept: &accept,
		page:   web.ChatPage(),
		mux:    http.NewServeMux(),
	}
	s.mux.HandleFunc("/{$}", s.serveRoot)
	s.mux.HandleFunc("GET /healthz", s.serveHealth)
	if !cfg.noSocketIO {
		s.sio = newSocketChat(s.hub, s.accept, log)
		s.mux.Handle("/socket.io/", s.sio)
	}
	return s
}

func (s *chatServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// serveRoot serves the page, or the WebSocket when the request asks for
// an upgrade. A request that tries to upgrade goes to websocket.Accept
// even when its handshake is broken, so that it gets the reason.
func (s *chatServer) serveRoot(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "" || r.Header.Get("Sec-WebSocket-Key") != "" {
		s.serveWebSocket(w, r)
		return
	}
	s.page.ServeHTTP(w, r)
}

func (s *chatServer) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.isClosing() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *chatServer) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// beginHandler counts a WebSocket request, unless shutdown has begun.
func (s *chatServer) beginHandler() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.handlers.Add(1)
	return true
}

// serveWebSocket joins the connection to the chat: every text message it
// sends is broadcast, and it receives every broadcast, the welcome first.
// Binary messages are refused with 1003 (RFC 6455, section 7.4.1): the
// chat is text.
func (s *chatServer) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !s.beginHandler() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()
	conn, err := websocket.Accept(w, r, s.accept)
	if err != nil {
		s.log.Info("websocket handshake refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	defer conn.CloseNow()
	client, err := s.hub.Join(r.RemoteAddr, wsClient{conn})
	if err != nil {
		conn.Close(websocket.StatusGoingAway, chat.ReasonShutdown)
		return
	}
	start := time.Now()
	s.log.Info("connection open", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"))

	received, err := s.relay(conn, r.RemoteAddr)
	client.Leave()
	<-client.Done() // bounded by chatWriteTimeout and the closing handshake
	s.log.Info("connection closed", "remote", r.RemoteAddr,
		"code", int(websocket.CloseStatus(err)), "err", err,
		"messages", received, "duration", time.Since(start).Round(time.Millisecond))
}

// relay broadcasts the connection's text messages until it ends, and
// returns how many it relayed and the error that ended it.
func (s *chatServer) relay(conn *websocket.Conn, remote string) (int, error) {
	for n := 0; ; n++ {
		typ, p, err := conn.Read(context.Background())
		if err != nil {
			return n, err
		}
		if typ != websocket.MessageText {
			s.log.Info("binary message refused", "remote", remote, "bytes", len(p))
			conn.Close(websocket.StatusUnsupportedData, "only text messages")
			return n, &websocket.CloseError{Code: websocket.StatusUnsupportedData, Reason: "only text messages", Local: true}
		}
		s.log.Debug("message", "remote", remote, "bytes", len(p))
		s.broadcast(p)
	}
}

// broadcast sends a line of the default channel to every client.
func (s *chatServer) broadcast(line []byte) {
	if s.sio != nil {
		s.sio.broadcast(line)
		return
	}
	s.hub.Broadcast(line)
}

// clients returns the number of clients in the chat, WebSocket and
// Socket.IO.
func (s *chatServer) clients() (websockets, socketios int) {
	if s.sio != nil {
		socketios = s.sio.clients()
	}
	return s.hub.Len(), socketios
}

// shutdown refuses new connections, closes every WebSocket client with
// 1001 (going away) and disconnects every Socket.IO client with "server
// shutting down", and waits for the closing handshakes until ctx ends.
func (s *chatServer) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	sioErr := make(chan error, 1)
	if s.sio != nil {
		go func() { sioErr <- s.sio.shutdown(ctx) }()
	} else {
		sioErr <- nil
	}
	hubErr := s.hub.Shutdown(ctx)
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return errors.Join(hubErr, <-sioErr)
	case <-ctx.Done():
		if err := errors.Join(hubErr, <-sioErr); err != nil {
			return err
		}
		return ctx.Err()
	}
}

// wsClient carries the hub's messages over a WebSocket connection.
type wsClient struct{ conn *websocket.Conn }

func (c wsClient) Send(ctx context.Context, msg []byte) error {
	return c.conn.Write(ctx, websocket.MessageText, msg)
}

func (c wsClient) Close(code int, reason string) error {
	return c.conn.Close(websocket.StatusCode(code), reason)
}
