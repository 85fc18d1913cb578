package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/socketio"
	"github.com/duplexrt/duplex/websocket"
)

// duplex echo --socketio serves what the official Engine.IO and Socket.IO
// protocol test suites (socketio/engine.io-protocol and
// socketio/socket.io-protocol, test-suite/) expect of the server under
// test, on one port:
//
//   - /engine.io/: an Engine.IO server that sends every message back as it
//     came, text or binary;
//   - /socket.io/: a Socket.IO server with the namespaces "/" and
//     "/custom". On connection, each emits "auth" with the CONNECT
//     payload. On "/", "message" is answered with "message-back" and the
//     same arguments, "message-with-ack" is acknowledged with the same
//     arguments (binary ones included), and "broadcast" goes to every
//     client of "/" as "broadcast-back".
//
// Both accept pages of any origin (CORS "*"), as the suites run in
// browsers too, and share the heartbeat the suites assume (pingInterval
// 300 ms, pingTimeout 200 ms) unless the flags say otherwise.

// socketIOEchoConfig is what duplex echo's --socketio flags decide.
type socketIOEchoConfig struct {
	pingInterval   time.Duration
	pingTimeout    time.Duration
	connectTimeout time.Duration
}

// checkEchoModeFlags refuses the flags of the WebSocket echo with
// --socketio, and those of --socketio without it.
func checkEchoModeFlags(fs *flag.FlagSet, sio bool, stderr io.Writer) error {
	for _, name := range []string{"ping-interval", "ping-timeout", "connect-timeout"} {
		if flagGiven(fs, name) && !sio {
			fmt.Fprintf(stderr, "duplex echo: --%s goes only with --socketio\n", name)
			return errUsage
		}
	}
	for _, name := range []string{"client", "agent", "compress", "max-message-size", "allowed-origins"} {
		if flagGiven(fs, name) && sio {
			fmt.Fprintf(stderr, "duplex echo: --%s does not go with --socketio\n", name)
			return errUsage
		}
	}
	return nil
}

// runSocketIOEcho is duplex echo --socketio: it listens on addr
// (127.0.0.1:3000, where the test suites look, unless --addr says
// otherwise) and serves the testee until ctx ends.
func runSocketIOEcho(ctx context.Context, fs *flag.FlagSet, addr string, cfg socketIOEchoConfig, stdout, stderr io.Writer, log *slog.Logger) error {
	if cfg.pingInterval <= 0 || cfg.pingTimeout <= 0 || cfg.connectTimeout <= 0 {
		fmt.Fprintln(stderr, "duplex echo: --ping-interval, --ping-timeout and --connect-timeout must be positive")
		return errUsage
	}
	if !flagGiven(fs, "addr") {
		addr = "127.0.0.1:3000"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(stdout, "engine.io echo at %s/engine.io/, socket.io at %s/socket.io/\n", base, base)
	return serveSocketIOEcho(ctx, ln, cfg, log)
}

// socketIOEcho is the testee: both servers behind one mux.
type socketIOEcho struct {
	engine *engineio.Server // at /engine.io/
	io     *socketio.Server // at /socket.io/
	mux    *http.ServeMux
}

// newSocketIOEcho returns the testee configured by cfg.
func newSocketIOEcho(cfg socketIOEchoConfig, log *slog.Logger) *socketIOEcho {
	anyOrigin := &engineio.CORS{Origins: []string{"*"}}
	e := &socketIOEcho{mux: http.NewServeMux()}
	e.engine = engineio.NewServer(&engineio.Options{
		PingInterval: cfg.pingInterval,
		PingTimeout:  cfg.pingTimeout,
		CORS:         anyOrigin,
		OnSession: func(s *engineio.Session) {
			s.OnMessage(func(data []byte, binary bool) {
				if err := s.Send(data, binary); err != nil {
					log.Info("engine.io echo: message not sent back", "sid", s.ID(), "err", err)
				}
			})
		},
	})
	e.io = socketio.NewServer(&socketio.Options{
		Engine: &engineio.Options{
			PingInterval: cfg.pingInterval,
			PingTimeout:  cfg.pingTimeout,
			CORS:         anyOrigin,
		},
		ConnectTimeout: cfg.connectTimeout,
		Logger:         log,
	})
	sendAuth := func(s *socketio.Socket) {
		s.Emit("auth", s.Handshake().Auth)
	}
	root := e.io.Of("/")
	root.OnConnection(sendAuth)
	root.OnConnection(func(s *socketio.Socket) {
		s.On("message", func(ev *socketio.Event) error {
			return s.Emit("message-back", ev.Values()...)
		})
		s.On("message-with-ack", func(ev *socketio.Event) error {
			if ev.Ack == nil {
				return nil
			}
			return ev.Ack(ev.Values()...)
		})
		s.On("broadcast", func(ev *socketio.Event) error {
			return root.Emit("broadcast-back", ev.Values()...)
		})
	})
	e.io.Of("/custom").OnConnection(sendAuth)

	e.mux.Handle("/engine.io/", e.engine)
	e.mux.Handle("/socket.io/", e.io)
	return e
}

func (e *socketIOEcho) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mux.ServeHTTP(w, r)
}

// shutdown disconnects every client of both servers ("server shutting
// down") and waits for them until ctx ends.
func (e *socketIOEcho) shutdown(ctx context.Context) error {
	return errors.Join(e.io.Shutdown(ctx), e.engine.Shutdown(ctx))
}

// serveSocketIOEcho serves the testee on ln until ctx ends, then shuts it
// down within 5 s.
func serveSocketIOEcho(ctx context.Context, ln net.Listener, cfg socketIOEchoConfig, log *slog.Logger) error {
	app := newSocketIOEcho(cfg, log)
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelInfo),
	}
	errc := make(chan error, 1)
	go func() { errc <- websocket.ServeListener(srv, ln) }()
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Sessions first: a pending long-polling GET is an active request
	// that http.Server.Shutdown would wait for.
	if err := app.shutdown(sctx); err != nil {
		log.Warn("not every client closed in time", "err", err)
	}
	srv.Shutdown(sctx)
	if serveErr == nil {
		serveErr = <-errc
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}
