package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// serveConfig is what duplex serve's flags decide.
type serveConfig struct {
	accept          websocket.AcceptOptions
	tls             *tls.Config // nil for plain HTTP
	shutdownTimeout time.Duration
	noSocketIO      bool // leave the Socket.IO server out of /socket.io/
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":8080", "address to listen on; when not given, $PORT sets the port")
	certFile := fs.String("tls-cert", "", "certificate file (PEM) to serve https and wss; needs --tls-key")
	keyFile := fs.String("tls-key", "", "private key file (PEM) of --tls-cert")
	origins := fs.String("allowed-origins", "", "comma-separated origin host patterns allowed besides the server's own host (\"*\" allows all)")
	maxSize := fs.Int64("max-message-size", 64<<10, "largest message accepted, in bytes; a larger one closes the connection with 1009")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	shutdownTimeout := fs.Duration("shutdown-timeout", 10*time.Second, "on SIGINT or SIGTERM, how long to wait for clients to close")
	compress := fs.Bool("compress", false, "accept permessage-deflate (RFC 7692); the server compresses without context takeover, so idle clients hold no compressor")
	noSocketIO := fs.Bool("no-socketio", false, "do not serve the chat over Socket.IO at /socket.io/")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: duplex serve [--addr HOST:PORT] [--tls-cert FILE --tls-key FILE] [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Serves the chat room: the page at /, its WebSocket at / (every text message")
		fmt.Fprintln(stderr, "goes to everyone), and /healthz. SIGINT or SIGTERM closes every client with")
		fmt.Fprintln(stderr, "1001 (going away) and exits. A client that cannot keep up with the room is")
		fmt.Fprintln(stderr, "disconnected with 1008 (\"too slow\").")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "The same room is served over Socket.IO at /socket.io/ (namespace \"/\"):")
		fmt.Fprintln(stderr, "emit \"chat message\" with \"nick: text\" or {nick, text}, and receive every")
		fmt.Fprintln(stderr, "line as \"chat message\"; \"join\" and \"leave\" a channel, then send to it with")
		fmt.Fprintln(stderr, "{channel, nick, text}. --allowed-origins applies to it too.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "duplex serve: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "duplex serve: %v\n", err)
		return errUsage
	}
	if !flagGiven(fs, "addr") {
		if port := os.Getenv("PORT"); port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
				return fmt.Errorf("PORT=%q is not a port number", port)
			}
			*addr = ":" + port
		}
	}
	if *maxSize <= 0 {
		fmt.Fprintln(stderr, "duplex serve: --max-message-size must be positive")
		return errUsage
	}
	cfg := serveConfig{
		accept:          websocket.AcceptOptions{ReadLimit: *maxSize},
		shutdownTimeout: *shutdownTimeout,
		noSocketIO:      *noSocketIO,
	}
	if *compress {
		cfg.accept.Compression = &websocket.CompressionOptions{ServerNoContextTakeover: true}
	}
	switch *origins {
	case "":
	case "*":
		cfg.accept.InsecureSkipVerify = true
	default:
		cfg.accept.OriginPatterns = strings.Split(*origins, ",")
	}
	if (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(stderr, "duplex serve: --tls-cert and --tls-key go together")
		return errUsage
	}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		cfg.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if cfg.tls != nil {
		scheme = "https"
	}
	url := scheme + "://" + displayAddr(ln.Addr()) + "/"
	fmt.Fprintf(stdout, "chat server listening on %s\n", url)
	log.Info("listening", "url", url, "max_message_size", *maxSize, "socketio", !*noSocketIO)
	return serveChat(ctx, ln, cfg, log)
}

// flagGiven reports whether the named flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

// displayAddr is addr as a person would type it in a browser: localhost
// for an unspecified address.
func displayAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// serveChat serves the chat on ln until ctx ends, then shuts down
// gracefully: it stops accepting, closes every WebSocket client with 1001
// (going away), disconnects every Socket.IO client with "server shutting
// down", and waits at most cfg.shutdownTimeout for them. It returns nil
// after a shutdown, even one that ran out of time (that is logged).
func serveChat(ctx context.Context, ln net.Listener, cfg serveConfig, log *slog.Logger) error {
	app := newChatServer(cfg, log)
	srv := &http.Server{
		Handler:           logRequests(log, app),
		TLSConfig:         cfg.tls,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelInfo),
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.tls != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- websocket.ServeListener(srv, ln)
		}
	}()
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		ws, sio := app.clients()
		log.Info("shutting down", "clients", ws, "socketio_clients", sio, "timeout", cfg.shutdownTimeout)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	// The application shuts down while the HTTP server does: the HTTP
	// server waits for the requests in progress, among them the Socket.IO
	// long-polling requests that the application's shutdown answers.
	appErr := make(chan error, 1)
	go func() { appErr <- app.shutdown(sctx) }()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("HTTP requests still running at shutdown", "err", err)
	}
	if err := <-appErr; err != nil {
		log.Warn("not every client closed in time", "err", err)
	}
	if serveErr == nil {
		serveErr = <-errc
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		log.Info("stopped")
		return nil
	}
	return serveErr
}
