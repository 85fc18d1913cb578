package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// errUsage reports bad flags; the flag package has already said why.
var errUsage = errors.New("usage")

func runEcho(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9001", "address to listen on")
	maxSize := fs.Int64("max-message-size", 0, "largest message accepted, in bytes (0: no limit; messages are streamed)")
	origins := fs.String("allowed-origins", "", "comma-separated origin host patterns allowed besides the server's own host (\"*\" allows all)")
	client := fs.String("client", "", "run as a conformance client testee against this ws:// server instead of serving")
	agent := fs.String("agent", "duplex", "agent name reported to the conformance server (with --client)")
	compress := fs.Bool("compress", false, "negotiate permessage-deflate (RFC 7692) when the peer offers or accepts it")
	sio := fs.Bool("socketio", false, "serve the Engine.IO echo at /engine.io/ and the Socket.IO testee at /socket.io/ of the official protocol test suites (default --addr 127.0.0.1:3000)")
	pingInterval := fs.Duration("ping-interval", 300*time.Millisecond, "with --socketio: how often the server pings each client")
	pingTimeout := fs.Duration("ping-timeout", 200*time.Millisecond, "with --socketio: how long the server waits for a pong")
	connectTimeout := fs.Duration("connect-timeout", time.Second, "with --socketio: how long a client may stay without joining a namespace")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: duplex echo [--addr HOST:PORT] [--max-message-size N] [--compress]")
		fmt.Fprintln(stderr, "       duplex echo --client ws://HOST:PORT [--agent NAME] [--compress]")
		fmt.Fprintln(stderr, "       duplex echo --socketio [--addr HOST:PORT] [--ping-interval D] [--ping-timeout D] [--connect-timeout D]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Serves a WebSocket echo on every path: each message comes back with its type.")
		fmt.Fprintln(stderr, "With --client, runs every case of a conformance server (getCaseCount, runCase, updateReports).")
		fmt.Fprintln(stderr, "With --socketio, serves what the Engine.IO and Socket.IO protocol test suites expect:")
		fmt.Fprintln(stderr, "an Engine.IO echo at /engine.io/ and Socket.IO at /socket.io/ (namespaces / and /custom).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	limit := *maxSize
	if limit <= 0 {
		limit = math.MaxInt64
	}
	var compression *websocket.CompressionOptions
	if *compress {
		compression = &websocket.CompressionOptions{}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := checkEchoModeFlags(fs, *sio, stderr); err != nil {
		return err
	}
	if *sio {
		cfg := socketIOEchoConfig{pingInterval: *pingInterval, pingTimeout: *pingTimeout, connectTimeout: *connectTimeout}
		return runSocketIOEcho(ctx, fs, *addr, cfg, stdout, stderr, log)
	}
	if *client != "" {
		opts := &websocket.DialOptions{ReadLimit: limit, Proxy: websocket.NoProxy, Compression: compression}
		return runTestee(ctx, *client, *agent, opts, stdout)
	}
	opts := &websocket.AcceptOptions{ReadLimit: limit, Compression: compression}
	if *origins == "*" {
		opts.InsecureSkipVerify = true
	} else if *origins != "" {
		opts.OriginPatterns = strings.Split(*origins, ",")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "echo server listening on ws://%s/\n", ln.Addr())
	return serveEcho(ctx, ln, opts, log)
}

// serveEcho serves the echo on ln until ctx ends, then closes every
// connection with 1001 (going away).
func serveEcho(ctx context.Context, ln net.Listener, opts *websocket.AcceptOptions, log *slog.Logger) error {
	var (
		mu    sync.Mutex
		conns = make(map[*websocket.Conn]struct{})
		wg    sync.WaitGroup
	)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			log.Info("handshake refused", "remote", r.RemoteAddr, "err", err)
			return
		}
		mu.Lock()
		conns[c] = struct{}{}
		wg.Add(1)
		mu.Unlock()
		defer func() {
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			wg.Done()
		}()
		log.Debug("connection open", "remote", r.RemoteAddr, "path", r.URL.Path)
		err = echoMessages(context.Background(), c)
		log.Debug("connection closed", "remote", r.RemoteAddr, "err", err)
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 16 << 10}
	errc := make(chan error, 1)
	go func() { errc <- websocket.ServeListener(srv, ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	mu.Lock()
	for c := range conns {
		go c.Close(websocket.StatusGoingAway, "server shutting down")
	}
	mu.Unlock()
	wg.Wait()
	return nil
}

// echoChunk is how much of a message echoMessages holds at once: smaller
// messages go back in one frame, larger ones are streamed in fragments.
const echoChunk = 64 << 10

// echoMessages sends every message back with its type until the
// connection ends. It returns nil after a normal closing handshake.
func echoMessages(ctx context.Context, c *websocket.Conn) error {
	buf := make([]byte, echoChunk)
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return closeResult(err)
		}
		n, err := io.ReadFull(r, buf)
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			if err := c.Write(ctx, typ, buf[:n]); err != nil {
				return err
			}
			continue
		case err != nil:
			return closeResult(err)
		}
		w, err := c.Writer(ctx, typ)
		if err != nil {
			return err
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return err
		}
		if _, err := io.CopyBuffer(w, r, buf); err != nil {
			w.Close()
			return closeResult(err)
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
}

// closeResult maps a normal close to nil.
func closeResult(err error) error {
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway:
		return nil
	}
	return err
}

// runTestee follows the conformance server protocol: ask for the number
// of cases, echo through each case, then ask for the reports.
func runTestee(ctx context.Context, server, agent string, opts *websocket.DialOptions, stdout io.Writer) error {
	base := strings.TrimSuffix(server, "/")
	c, _, err := websocket.Dial(ctx, base+"/getCaseCount", opts)
	if err != nil {
		return err
	}
	_, p, err := c.Read(ctx)
	if err != nil {
		return fmt.Errorf("reading case count: %w", err)
	}
	count, err := strconv.Atoi(strings.TrimSpace(string(p)))
	if err != nil {
		return fmt.Errorf("case count %q: %w", p, err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	fmt.Fprintf(stdout, "running %d cases as %q\n", count, agent)
	q := "agent=" + url.QueryEscape(agent)
	for i := 1; i <= count; i++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		caseURL := base + "/runCase?case=" + strconv.Itoa(i) + "&" + q
		c, _, err := websocket.Dial(ctx, caseURL, opts)
		if err != nil {
			fmt.Fprintf(stdout, "case %d: %v\n", i, err)
			continue
		}
		echoMessages(ctx, c)
		c.CloseNow()
	}
	c, _, err = websocket.Dial(ctx, base+"/updateReports?"+q, opts)
	if err != nil {
		return fmt.Errorf("updating reports: %w", err)
	}
	_, _, err = c.Read(ctx)
	c.CloseNow()
	if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
		err = nil
	}
	fmt.Fprintln(stdout, "reports updated")
	return err
}
