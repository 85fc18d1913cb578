// Package socketio implements a Socket.IO server (protocol v5, what the
// socket.io v3 and v4 clients speak) on top of package engineio.
//
// # Server
//
// A Server is an http.Handler; the clients look for it at /socket.io/:
//
//	io := socketio.NewServer(nil)
//	io.OnConnection(func(s *socketio.Socket) {
//		s.On("chat message", func(msg string) {
//			io.Emit("chat message", msg)
//		})
//	})
//	http.Handle("/socket.io/", io)
//
// Clients join namespaces over their one connection: "/" and any other
// made with Of, or made on demand by OfFunc and OfRegexp. A client that
// asks for another gets CONNECT_ERROR {"message":"Invalid namespace"}.
// Middlewares (Namespace.Use) see each client before it is connected, with
// its Handshake: the CONNECT payload in Auth, the headers, query and
// address of the request; they accept it with next(nil) or refuse it with
// next(err), the client getting the error's message (and the Data of a
// *ConnectError) in its connect_error event. A client that joins no
// namespace within Options.ConnectTimeout is dropped.
//
// # Events and their arguments
//
// Socket.On takes handlers of several forms (see there): typed
// parameters, into which the JSON arguments are decoded, an AckFunc last
// to answer the client's acknowledgement, a variadic tail, or *Event for
// the event as it came. Emit encodes its arguments as JSON, like
// encoding/json, with one exception: every []byte, at any depth (in a
// struct field, a map, a slice, an interface value), travels as a binary
// attachment, which a JavaScript client receives as a Buffer or an
// ArrayBuffer. The reverse holds for received events: the client's
// binary values decode into []byte parameters or fields, and into
// interface values as []byte. Attachments are counted per packet and
// bounded by Options.MaxAttachments.
//
// Raw holds an argument undecoded, JSON with its attachments:
// s.Emit("echo", ev.Values()...) forwards an event unchanged.
//
// Acknowledgements go both ways: a handler answers with its AckFunc, and
// Socket.EmitWithAck waits for the client's answer until the context ends.
//
// # Rooms and broadcasting
//
// Each socket is in a room named by its id, and joins and leaves others
// with Join and Leave. A BroadcastOperator, from Namespace.To, In, Except
// or Socket.Broadcast (which leaves the socket out), selects sockets by
// room and sends to them all (Emit), collects one acknowledgement from
// each (Timeout(d).EmitWithAck), fetches them (FetchSockets), or makes
// them join, leave or disconnect. A broadcast packet is encoded once for
// all its recipients.
//
// The rooms of a namespace live in its Adapter: NewMemoryAdapter for one
// server, the default, or an adapter that shares them between servers
// (Options.Adapter). Broadcasts, FetchSockets and the other operations on
// a selection then reach the sockets of every server.
//
// # Slow clients
//
// Sending never waits for the network: a packet is queued on the client's
// Engine.IO session, whose queue is bounded (engineio.Options
// SendQueueMessages and SendQueueBytes). A client whose queue is full is
// disconnected, except for volatile packets (BroadcastOperator.Volatile),
// which it misses instead; Server.Dropped counts them.
//
// # Concurrency
//
// The methods of Server, Namespace, Socket and BroadcastOperator are safe
// for concurrent use. The handlers of one client (middlewares, connection,
// event and disconnect handlers) run one at a time, in the order of its
// packets, on a goroutine that exists while there is work for it, never
// on the goroutine that reads the client's connection. A handler may thus
// block, even waiting for an acknowledgement of its own client; the
// client's next events wait meanwhile, up to Options.MaxPendingEvents,
// after which the server stops reading from the client for a while, then
// disconnects it. Acknowledgements are delivered as they arrive.
//
// # Disconnection
//
// A socket's OnDisconnect handlers get the reason, named as the reference
// server names it: ReasonClientNamespaceDisconnect,
// ReasonServerNamespaceDisconnect, ReasonTransportClose,
// ReasonTransportError, ReasonPingTimeout, ReasonParseError (the client
// sent something that is not Socket.IO, such as an unknown packet type,
// an event that is not an array, a non-numeric acknowledgement id: its
// connection is closed), ReasonForcedServerClose and
// ReasonServerShuttingDown (Server.Shutdown, after which the clients
// reconnect to the next server).
package socketio
