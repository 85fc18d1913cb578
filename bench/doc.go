// Package bench holds side-by-side benchmarks of Duplex's websocket
// package and other Go WebSocket libraries (gorilla/websocket and
// lxzan/gws). It is a module of its own so that the peers never become
// dependencies of the main module.
//
// Run the benchmarks with
//
//	go test -run '^$' -bench . -benchmem ./...
//
// and the harness self-checks with
//
//	go test ./...
//
// cmd/report runs the benchmarks several times and writes RESULTS.md with
// the medians and the ratios of Duplex against each peer.
//
// The whole-server benchmark is separate: testee servers, one per library
// (testee/NAME, and node/ for Node.js ws), all with the contract of
// internal/testee, driven by the project's own load generator
// (internal/loadgen of the main module) from cmd/serverbench, which
// writes its own section of RESULTS.md. Build the testees with make
// bench-build and run it with ./run (or make bench; BENCH_QUICK=1 for a
// short run).
//
// The Socket.IO benchmark compares Duplex's socketio package with
// Node.js socket.io: the testees siotestee/duplex and node/sio-server.js,
// driven by cmd/siobench, its own load generator, which writes its own
// section of RESULTS.md. Run it with make bench-socketio (BENCH_QUICK=1
// for a short run).
//
// # Method
//
// BenchmarkEcho measures round trips over real loopback TCP: a server of
// one library echoes, and a client of the same library writes a binary
// message and waits for the echo, b.N times. Every library runs with its
// own default buffer sizes, no compression, and the same read limit
// (ReadLimit). Allocations are counted for the whole process, so B/op and
// allocs/op cover the client and the server together. MB/s counts the
// payload once per round trip.
//
// BenchmarkEchoCancelableContext is BenchmarkEcho for Duplex alone with
// cancelable contexts (the server passes r.Context() to Read and Write),
// the way most applications call it; context.Background() is what
// BenchmarkEcho passes.
//
// BenchmarkClientWrite measures the client write path alone: framing,
// masking (RFC 6455, section 5.3) and handing the frame to the
// connection, which here is an in-memory connection that answers the
// opening handshake and then discards what it is given. None of the
// libraries exports its masking function, so this is the closest honest
// comparison of masking throughput; it also includes each library's
// copying and framing.
//
// BenchmarkEchoCompressed is BenchmarkEcho with permessage-deflate (RFC
// 7692) in each mode a library supports: off, context takeover, no
// context takeover (gorilla supports only the last). The messages are
// JSON-like documents of 1 KiB and 64 KiB from a deterministic generator
// (JSONLike), and the client cycles through a set of distinct ones
// (MessageSet), so that context takeover finds earlier messages in its
// window but never the one being sent. Every library negotiates 32 KiB
// windows and compresses at its default level, BestSpeed. The metric
// wire-B/msg is the bytes a message takes on the wire, measured on a
// connection of its own. TestEchoCompressed checks the negotiated
// extension, the echoed bytes and the bytes on the wire.
//
// BenchmarkIdleConn measures the memory an idle server connection holds
// (MeasureIdle): IdleConns raw TCP clients in the benchmark's process do
// the handshake by hand against a server of the library, send one 32 KiB
// message (compressed when negotiated) and read its echo, and then idle;
// the heap and goroutine stacks in use, after two garbage collections,
// are compared before the first connection, right after the last echo
// and IdleSettle later, the same for every library. Run it with
// -benchtime 1x.
package bench
