// Package websocket implements the WebSocket protocol (RFC 6455), server
// and client, for net/http.
//
// # Server
//
// Accept turns an HTTP request into a *Conn inside any http.Handler:
//
//	func handler(w http.ResponseWriter, r *http.Request) {
//		c, err := websocket.Accept(w, r, nil)
//		if err != nil {
//			return // Accept has answered the request with the reason
//		}
//		defer c.CloseNow()
//		for {
//			typ, p, err := c.Read(r.Context())
//			if err != nil {
//				return
//			}
//			if err := c.Write(r.Context(), typ, p); err != nil {
//				return
//			}
//		}
//	}
//
// Accept validates the handshake exactly (section 4.2.1) and answers a
// bad one with the right status and a one-line reason: 405 for a method
// other than GET, 426 with "Sec-WebSocket-Version: 13" for a missing
// Upgrade token or another version, 400 for the rest, 403 for a refused
// origin.
//
// # Client
//
// Dial opens a connection to a ws:// or wss:// URL, through an HTTP proxy
// from the environment by default, and checks the server's answer
// (status, Sec-WebSocket-Accept, subprotocol and extensions that were
// offered), saying precisely what was wrong. The client masks every
// frame with a fresh key from crypto/rand (section 5.3).
//
// # Messages
//
// Read returns a whole message; Reader streams one as it arrives, so a
// message larger than memory can be consumed. Write sends a message in
// one frame; Writer sends one fragment per Write, so a message can be
// produced while it is sent. Control frames are handled while reading:
// pings are answered with pongs, pongs complete Ping, and a close frame
// is answered and ends the connection with a *CloseError.
//
// The slice that Read returns is reused by the next Read: copy what must
// be kept. This is how reading allocates nothing in steady state.
//
// # Errors and close codes
//
// A peer that breaks the protocol gets a close frame with the code that
// section 7.4.1 prescribes, and the connection is dropped: 1002 for
// malformed frames (reserved bits, unknown opcodes, oversized or
// fragmented control frames, continuation without a message, a message
// inside another, wrong masking, invalid close codes), 1007 for invalid
// UTF-8 in text, detected at the first bad byte even in the middle of a
// fragment, and 1009 for a message over the read limit (SetReadLimit,
// DefaultReadLimit of 16 MiB), detected from the frame header before the
// payload arrives. The reader gets a *CloseError with Local set; the
// peer's own close frames arrive as a *CloseError without it. Use
// CloseStatus to get the code from any error.
//
// # Compression
//
// Setting AcceptOptions.Compression or DialOptions.Compression enables
// permessage-deflate (RFC 7692) with every parameter the RFC defines:
// context takeover and window bits per direction, several offers
// considered in order, offers with unknown or repeated parameters
// declined, and a server answer the client did not allow refused with a
// precise error. Messages under CompressionOptions.Threshold go out
// uncompressed. The read limit applies to the decompressed size, checked
// as the data inflates, so a small frame that would expand past it fails
// with 1009 before the memory is spent.
//
// Without context takeover in a direction, compressors and decompressors
// come from pools and an idle connection holds none of them. With it, the
// receiving side keeps a copy of the peer's window (2^bits bytes), and
// the sending side keeps a copy of its own window and borrows a
// compressor while it writes: a connection that wrote nothing for a few
// seconds gives its compressor back and primes a pooled one from the copy
// when it writes again. At most 32 connections in a process keep a
// compressor between messages (each holds several hundred kilobytes);
// the others prime one from their window for every message, trading time
// for a bounded memory. Measured with BenchmarkIdleConn (2,000 server
// connections that each exchanged one 4 KiB message): about 7.5 KB per
// idle connection without context takeover and 19 KB with it, where
// keeping a compressor per connection would cost 830 KB. With full 32 KiB
// windows in both directions the copies reach 64 KiB; smaller window bits
// shrink them.
//
// A PreparedMessage is encoded once and written to many connections:
// one frame for every uncompressed server connection and one compressed
// frame per window size for connections without context takeover
// (BenchmarkBroadcast: 1 KiB to 100 compressed connections is 30 times
// faster than compressing for each).
//
// # Broadcast and batching
//
// Enqueue hands a PreparedMessage to a connection without waiting: each
// connection has a bounded send queue (QueueLimit, 1 MiB by default)
// drained by a goroutine that exists only while the queue is not empty,
// and everything queued by the time it runs leaves in one writev without
// a copy. A full queue returns ErrQueueFull, so one slow reader never
// delays the others and the caller chooses what to drop.
//
// Small frames written while the connection still holds received
// messages that its reader has not taken are batched the same way (see
// Write): a server answering a burst of requests answers it with one
// system call.
//
// # Concurrency
//
// Write, Writer, Ping, Close, CloseNow, State, BufferedAmount and the
// other accessors may be called from any number of goroutines at once.
// Messages from concurrent writers never interleave: a message takes the
// connection's message lock for all its frames, while control frames
// take only the frame lock and may go between the fragments of a long
// message. Reading is for one goroutine at a time.
//
// # Deadlines
//
// Every method that waits takes a context. A read interrupted by its
// context leaves the connection usable: the next Read resumes where the
// previous one stopped, even in the middle of a frame. A write
// interrupted after part of a frame reached the socket cannot be resumed
// (the peer would lose the frame boundaries), so the connection is closed
// and the write returns ErrWriteTimeout. Close waits at most five seconds
// for the peer's close frame.
//
// # Origin checks
//
// Browsers send cookies with cross-site WebSocket requests, so a page on
// another site could act as the visitor (cross-site WebSocket hijacking).
// Accept therefore refuses requests whose Origin header names another
// host than the request's, unless AcceptOptions.OriginPatterns allows it.
// Requests without an Origin header (non-browser clients) are accepted.
// AcceptOptions.InsecureSkipVerify turns the check off.
//
// # Memory
//
// Buffers come from pools and are held only while in use. On TCP and
// Unix sockets a connection waiting for a message holds no read buffer:
// it waits for the socket to become readable, then takes a buffer (see
// BenchmarkIdleConn). Accept also releases the buffers net/http hands
// over with the connection.
//
// What remains of an idle connection depends on who waits for it. A
// goroutine blocked in Read keeps its stack: measured with 15,000 idle
// connections in a server process, about 6.5 KB of resident memory per
// connection (the Go heap and stacks are 4.3 KB of it; the runtime keeps
// the rest as headroom for the garbage collector). Serve hands the
// messages to callbacks instead, from a poller (epoll on Linux, itself
// parked in the runtime's network poller) that gives a connection with
// data waiting to one of a few worker goroutines, so that an idle
// connection has no goroutine at all: 3.6 KB of resident memory per
// connection in the same measurement, 3.51 KiB in the whole-server
// benchmark of bench/RESULTS.md. A worker reads every message the
// socket holds and hands each to the callback before it takes another
// connection, so Serve answers bursts as a goroutine per connection does
// (in that benchmark, 64-byte echo runs at the same rate either way).
package websocket
