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
package bench
