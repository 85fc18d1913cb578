// Package chat is the chat room: a hub that relays every message to every
// member, whatever transport carries it.
//
// A transport (the WebSocket handler of the duplex command, say) joins
// each connection with Hub.Join, passes every message it reads to
// Hub.Broadcast, and calls Client.Leave when the connection ends. The hub
// writes to the connection through the small Conn interface, from one
// goroutine per client that the hub owns.
//
// # Ordering
//
// Broadcast queues a message for every member at once, under one lock,
// so every member receives the messages in the same order, and the
// messages of one sender in the order that sender broadcast them. A
// client that joins receives Options.Welcome first.
//
// # Slow consumers
//
// Broadcast never waits for a client. Each client has a send queue of
// Options.QueueSize messages; its own goroutine takes messages from the
// queue and writes them, each write bounded by Options.WriteTimeout. When
// a message finds a client's queue full, that client is removed from the
// room at once: the message and those still queued for it are dropped,
// the hub logs the drop at warning level, and the client's goroutine
// closes the connection with StatusPolicyViolation (1008) and the reason
// "too slow" as soon as its write in progress ends. Everyone else keeps
// receiving; the client may reconnect. A client whose write fails or times
// out is removed the same way, without a close message, since its
// connection is broken.
//
// A client therefore holds at most QueueSize messages in memory, plus
// the one being written.
//
// # Shutdown
//
// Shutdown refuses new clients, lets each client's goroutine write what
// is already queued for it, then closes every connection with
// StatusGoingAway (1001), and waits for all of that within its context.
//
// # Concurrency
//
// All methods of Hub and Client may be called from any number of
// goroutines at once.
package chat
