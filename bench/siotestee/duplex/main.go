// Command duplex is the Socket.IO benchmark's testee for Duplex's
// socketio package; make bench-build installs it as bench/bin/sio-duplex.
// bench/node/sio-server.js is its Node.js counterpart, and
// bench/cmd/siobench describes their common contract and drives them.
//
// `sio-duplex --port PORT` serves Socket.IO at
// http://127.0.0.1:PORT/socket.io/ with the package's defaults (no
// compression, both transports), as websocket.ServeListener serves it,
// and prints "PID <pid>" once it listens.
// Every socket of the main namespace joins the room "bench"; "echo" is
// acknowledged with its own arguments, and "broadcast" goes to the whole
// room, sender included, as "broadcast-back". The arguments are passed
// on as they came (socketio.Raw), not decoded and encoded again, as the
// Node.js testee passes its values on.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/duplexrt/duplex/socketio"
	"github.com/duplexrt/duplex/websocket"
)

// room is the room every socket joins and every broadcast goes to.
const room = "bench"

func main() {
	port := flag.Int("port", 0, "port to listen on at 127.0.0.1")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file until SIGTERM")
	memProfile := flag.String("memprofile", "", "write a heap profile to this file at SIGUSR1 and SIGTERM, with the goroutine count in FILE.txt")
	flag.Parse()
	if *port <= 0 || *port > 65535 {
		fmt.Fprintln(os.Stderr, "usage: sio-duplex --port PORT")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fatal(err)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fatal(err)
		}
	}
	if *memProfile != "" {
		// Every allocation recorded: the profile is for finding what a
		// connection holds, byte by byte.
		runtime.MemProfileRate = 1
	}
	go stopOnSignal(*cpuProfile != "", *memProfile)

	// Warnings only: a benchmark that drops slow clients must say so on
	// stderr, but per-connection chatter would cost time under load.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	io := socketio.NewServer(&socketio.Options{Logger: log})
	io.OnConnection(func(s *socketio.Socket) {
		s.Join(room)
		s.On("echo", func(ev *socketio.Event) error {
			if ev.Ack == nil {
				return nil
			}
			return ev.Ack(ev.Values()...)
		})
		s.On("broadcast", func(ev *socketio.Event) error {
			return io.To(room).Emit("broadcast-back", ev.Values()...)
		})
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("PID %d\n", os.Getpid())
	// ServeListener reads the WebSocket handshakes itself, without
	// net/http's per-connection buffers; polling requests go to srv.
	fatal(websocket.ServeListener(srv, ln))
}

// stopOnSignal writes the heap profile at SIGUSR1, and exits at SIGTERM
// or SIGINT after writing the profiles asked for.
func stopOnSignal(cpu bool, memProfile string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	for s := range sig {
		if memProfile != "" {
			writeHeapProfile(memProfile)
		}
		if s == syscall.SIGUSR1 {
			continue
		}
		if cpu {
			pprof.StopCPUProfile()
		}
		os.Exit(0)
	}
}

// writeHeapProfile writes the heap profile to path, after a collection
// so that it shows what is live, and the goroutine count and the
// runtime's memory statistics to path.txt.
func writeHeapProfile(path string) {
	runtime.GC()
	if f, err := os.Create(path); err == nil {
		pprof.Lookup("heap").WriteTo(f, 0)
		f.Close()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	os.WriteFile(path+".txt", fmt.Appendf(nil, "goroutines %d\nHeapAlloc %d\nHeapInuse %d\nHeapIdle %d\nHeapReleased %d\nStackInuse %d\nSys %d\nNextGC %d\n",
		runtime.NumGoroutine(), ms.HeapAlloc, ms.HeapInuse, ms.HeapIdle, ms.HeapReleased, ms.StackInuse, ms.Sys, ms.NextGC), 0o644)
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "sio-duplex: %v\n", err)
	os.Exit(1)
}
