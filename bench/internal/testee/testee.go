// Package testee runs the whole-server benchmark's testees: one server
// per WebSocket library, all with the same contract, so that the
// serverbench runner can drive them alike.
//
// The contract: `NAME --port PORT` listens on 127.0.0.1:PORT, echoes
// every message received on /echo with the same opcode, relays every
// message received on /broadcast to every client connected to
// /broadcast (the sender included, in the order received), negotiates no
// extension, and prints "PID <pid>" as its first line once it listens.
// It runs until SIGTERM or SIGINT.
//
// Every Go testee hands each connection to a goroutine of its own (or
// the library's read loop) and lets the HTTP handler return, the way
// servers that hold many connections are written with each of these
// libraries, so that none keeps net/http's per-request state alive.
package testee

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// QueueLength is how many messages the testees that keep a queue per
// subscriber themselves (a buffered channel, as the libraries' chat
// examples do) hold for one subscriber before they drop it. Broadcast
// never waits for a subscriber.
const QueueLength = 256

// ReadLimit is the largest message every testee accepts.
const ReadLimit = 16 << 20

// Main runs a testee with the handlers of its library. It does not
// return.
func Main(name string, echo, broadcast http.Handler) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	port := fs.Int("port", 0, "port to listen on at 127.0.0.1")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until SIGTERM")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file at SIGTERM, and the runtime's memory statistics to FILE.txt")
	fs.Parse(os.Args[1:])
	if *port <= 0 || *port > 65535 {
		fmt.Fprintf(os.Stderr, "usage: %s --port PORT\n", name)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		if *cpuProfile != "" {
			pprof.StopCPUProfile()
		}
		if *memProfile != "" {
			writeMemProfile(*memProfile)
		}
		os.Exit(0)
	}()
	fmt.Printf("PID %d\n", os.Getpid())
	srv := &http.Server{Handler: Mux(echo, broadcast), ReadHeaderTimeout: 10 * time.Second}
	err = srv.Serve(ln)
	fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	os.Exit(1)
}

// writeMemProfile writes a heap profile to path and the runtime's memory
// statistics, with the number of goroutines, to path.txt.
func writeMemProfile(path string) {
	runtime.GC()
	if f, err := os.Create(path); err == nil {
		pprof.Lookup("heap").WriteTo(f, 0)
		f.Close()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f, err := os.Create(path + ".txt")
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "goroutines %d\nHeapInuse %d\nHeapIdle %d\nHeapReleased %d\nStackInuse %d\nSys %d\nNextGC %d\nHeapObjects %d\n",
		runtime.NumGoroutine(), ms.HeapInuse, ms.HeapIdle, ms.HeapReleased, ms.StackInuse, ms.Sys, ms.NextGC, ms.HeapObjects)
}

// Mux routes /echo and /broadcast.
func Mux(echo, broadcast http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/echo", echo)
	mux.Handle("/broadcast", broadcast)
	return mux
}

// Hub is the set of subscribers of /broadcast. Each is sent to in
// snapshot order; adding and removing copy the snapshot, so that
// relaying a message takes no lock.
type Hub[T comparable] struct {
	mu   sync.Mutex // serializes Add and Remove
	subs atomic.Pointer[[]T]
}

// Add subscribes s.
func (h *Hub[T]) Add(s T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var old []T
	if p := h.subs.Load(); p != nil {
		old = *p
	}
	next := make([]T, len(old), len(old)+1)
	copy(next, old)
	next = append(next, s)
	h.subs.Store(&next)
}

// Remove unsubscribes s; it does nothing if s is not subscribed.
func (h *Hub[T]) Remove(s T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.subs.Load()
	if p == nil {
		return
	}
	old := *p
	for i, x := range old {
		if x == s {
			next := make([]T, 0, len(old)-1)
			next = append(next, old[:i]...)
			next = append(next, old[i+1:]...)
			h.subs.Store(&next)
			return
		}
	}
}

// Subscribers returns the current subscribers; the slice must not be
// modified.
func (h *Hub[T]) Subscribers() []T {
	if p := h.subs.Load(); p != nil {
		return *p
	}
	return nil
}
