package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// ReadLimit is the largest message every library is configured to accept.
// It is the same for all of them and large enough for the biggest message
// the benchmarks send.
const ReadLimit = 16 << 20

// Sizes are the message sizes the benchmarks use.
var Sizes = []int{16, 1 << 10, 64 << 10, 1 << 20}

// SizeName returns the name of a message size as it appears in benchmark
// names: 16B, 1KiB, 64KiB, 1MiB.
func SizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	default:
		return fmt.Sprintf("%dB", n)
	}
}

// Payload returns n random bytes.
func Payload(n int) []byte {
	p := make([]byte, n)
	if _, err := rand.Read(p); err != nil {
		panic(err)
	}
	return p
}

// EchoClient is one library's client, connected to the same library's echo
// server.
type EchoClient interface {
	// Echo sends n binary messages, msgs[i%len(msgs)] for the i-th, each
	// time waiting for the server's echo before it sends the next, and
	// returns the last echo. The returned slice may be valid only until
	// the next call.
	Echo(n int, msgs [][]byte) ([]byte, error)
	// Close closes the client and stops the server.
	Close() error
}

// MessageWriter is one library's client connected to a connection that
// discards what it is given (see DiscardConn).
type MessageWriter interface {
	// WriteBinary writes msg as one binary message.
	WriteBinary(msg []byte) error
	Close() error
}

// Library is one WebSocket implementation under test.
type Library struct {
	Name string
	// StartEcho starts an echo server of the library on 127.0.0.1 and
	// connects a client of the library to it.
	StartEcho func(ctx context.Context) (EchoClient, error)
	// DialDiscard connects a client of the library to conn, which must
	// be fresh.
	DialDiscard func(ctx context.Context, conn *DiscardConn) (MessageWriter, error)

	// Modes are the compression modes the library supports, CompressionOff
	// first.
	Modes []CompressionMode
	// StartCompressedEcho is StartEcho with both sides configured for
	// mode. It also returns the Sec-WebSocket-Extensions header of the
	// server's handshake response as the client received it. wrap, when
	// not nil, wraps the client's TCP connection.
	StartCompressedEcho func(ctx context.Context, mode CompressionMode, wrap func(net.Conn) net.Conn) (EchoClient, string, error)
	// StartIdleServer starts a server of the library on 127.0.0.1,
	// configured for mode, that hands every connection to a goroutine
	// (or read loop) of its own, echoes what it receives and otherwise
	// waits.
	StartIdleServer func(mode CompressionMode) (*LoopServer, error)
}

// Libraries returns the libraries under test, Duplex first.
func Libraries() []Library {
	return []Library{duplexLibrary, gorillaLibrary, gwsLibrary}
}

// echoServer is an HTTP server on a loopback port whose handler upgrades
// every request and echoes. It waits for its handlers on close, so that
// no goroutine outlives a benchmark.
type echoServer struct {
	srv      *http.Server
	ln       net.Listener
	handlers sync.WaitGroup
	served   chan struct{}
}

// startEchoServer serves h on a fresh port of 127.0.0.1.
func startEchoServer(h http.HandlerFunc) (*echoServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &echoServer{ln: ln, served: make(chan struct{})}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.handlers.Add(1)
			defer s.handlers.Done()
			h(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// URL returns the ws:// URL of the server.
func (s *echoServer) URL() string { return "ws://" + s.ln.Addr().String() + "/" }

// errHandlersStuck reports echo handlers still running after the client
// closed.
var errHandlersStuck = errors.New("bench: echo handlers did not return after the client closed")

// Close stops the server and waits, for a bounded time, until every
// handler has returned. Call it after the client has closed, so that the
// handlers see the end of their connections.
func (s *echoServer) Close() error {
	err := s.srv.Close()
	<-s.served
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return errHandlersStuck
	}
	return err
}

// LoopServer is an HTTP server on a loopback port whose handler upgrades
// every request, hands the connection to a goroutine of its own, and
// returns: the way servers that hold many connections are written with
// every library here. It waits for those goroutines on close.
type LoopServer struct {
	*echoServer
	loops sync.WaitGroup
}

// startLoopServer serves upgrade on a fresh port of 127.0.0.1. upgrade
// returns the connection's loop, which runs in a goroutine of its own, or
// nil when the upgrade failed.
func startLoopServer(upgrade func(w http.ResponseWriter, r *http.Request) (loop func())) (*LoopServer, error) {
	s := &LoopServer{}
	srv, err := startEchoServer(func(w http.ResponseWriter, r *http.Request) {
		loop := upgrade(w, r)
		if loop == nil {
			return
		}
		s.loops.Add(1)
		go func() {
			defer s.loops.Done()
			loop()
		}()
	})
	if err != nil {
		return nil, err
	}
	s.echoServer = srv
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *LoopServer) Addr() string { return s.ln.Addr().String() }

// errLoopsStuck reports connection loops still running after the clients
// closed.
var errLoopsStuck = errors.New("bench: connection loops did not return after the clients closed")

// Close stops the server and waits, for a bounded time, until every
// connection's loop has returned. Call it after the clients have closed.
func (s *LoopServer) Close() error {
	err := s.echoServer.Close()
	done := make(chan struct{})
	go func() {
		s.loops.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return errLoopsStuck
	}
	return err
}
