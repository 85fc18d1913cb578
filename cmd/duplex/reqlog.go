package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// logRequests logs one line per HTTP request: at info level, or debug for
// health checks and for the Socket.IO long-polling requests that succeed
// (a client makes one every few seconds; its connection gets lines of its
// own). WebSocket connections, which the handler takes over, are left to
// the handler's own lines. Only the method, path, status, size, remote
// address and duration are logged: never the query string, headers or
// cookies, which may carry credentials.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &responseRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.hijacked {
			return
		}
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || (strings.HasPrefix(r.URL.Path, "/socket.io/") && rec.statusCode() < 400) {
			level = slog.LevelDebug
		}
		log.Log(context.Background(), level, "request",
			"method", r.Method, "path", r.URL.Path, "status", rec.statusCode(),
			"bytes", rec.bytes, "remote", r.RemoteAddr,
			"duration", time.Since(start).Round(time.Microsecond))
	})
}

// responseRecorder notes the status and size of a response, and whether
// the connection was taken over.
type responseRecorder struct {
	http.ResponseWriter
	status   int
	bytes    int64
	hijacked bool
}

func (rec *responseRecorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *responseRecorder) Write(p []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(p)
	rec.bytes += int64(n)
	return n, err
}

func (rec *responseRecorder) statusCode() int {
	if rec.status == 0 {
		return http.StatusOK
	}
	return rec.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *responseRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// Hijack takes the connection over, as websocket.Accept does.
func (rec *responseRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(rec.ResponseWriter).Hijack()
	if err == nil {
		rec.hijacked = true
	}
	return nc, brw, err
}

// newLogger returns a slog.Logger that writes to w in format (text or
// json) from level (debug, info, warn or error) up.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf(`log format %q: want "text" or "json"`, format)
}
