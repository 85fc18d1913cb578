// Package engineio implements the server side of the Engine.IO protocol,
// version 4: the transport layer under Socket.IO v3 and v4, which the
// official clients (npm's engine.io-client and socket.io-client, and the
// Java, Swift and C++ clients) speak.
//
// An Engine.IO session is a message channel between one client and the
// server that survives its transport: it starts on HTTP long-polling or
// WebSocket and moves from polling to WebSocket when the client upgrades,
// without losing or reordering messages.
//
//	srv := engineio.NewServer(&engineio.Options{
//		OnSession: func(s *engineio.Session) {
//			s.OnMessage(func(data []byte, binary bool) {
//				s.Send(data, binary) // echo
//			})
//		},
//	})
//	http.Handle("/engine.io/", srv)
//
// # Protocol
//
// The client reaches the server at one path with the query parameters
// EIO=4, transport ("polling" or "websocket") and, once it has one, sid.
// The handshake answers with the open packet: the session id, the
// possible upgrades, pingInterval, pingTimeout and maxPayload. Requests
// that break the protocol get the reference server's errors: 400 with
// {"code":0,"message":"Transport unknown"}, 1 "Session ID unknown",
// 2 "Bad handshake method", 3 "Bad request", 5 "Unsupported protocol
// version", and 403 with code 4 when Options.AllowRequest refuses.
//
// On polling, a GET waits for packets and a POST sends them; several
// packets travel in one body joined by the record separator 0x1e, binary
// messages as 'b' and base64. A second GET or POST while one is active
// closes the session, as does a POST larger than maxPayload (413). On
// WebSocket, every packet is one message, binary messages as binary
// messages.
//
// The server pings every PingInterval; a client that does not answer
// within PingTimeout is dropped with the reason "ping timeout". An invalid
// packet closes the session with "parse error".
//
// # Limits
//
// Everything a client can make the server hold is bounded: a POST body or
// WebSocket message by MaxHTTPBufferSize, the messages waiting for a
// client by SendQueueMessages and SendQueueBytes (Send returns
// ErrQueueFull past them), and every wait on a client by
// PingInterval+PingTimeout, after which the client itself considers the
// session lost. A session holds no goroutine while idle: a WebSocket is
// read with websocket.Conn.Serve, whose poller hands a connection with
// data waiting to a worker, and a writer runs only while messages wait,
// writing them in one system call; a polling session costs none between
// requests. With 10,000 idle Socket.IO clients the server holds about
// 6 KiB of resident memory per client (bench/RESULTS.md).
//
// # Concurrency
//
// Server and Session methods may be called from any goroutine. A
// session's OnMessage and OnClose callbacks are called one at a time, in
// order, and OnClose after the last OnMessage has returned; a slow
// OnMessage holds back the client's next messages.
//
// # Origins
//
// Without Options.CORS, polling responses carry no CORS headers, so that
// browsers let only pages of the same origin read them, and WebSocket
// connections are accepted only from pages of the same host, as package
// websocket checks by default. Options.CORS lists the origins (or "*")
// whose pages may use both transports.
package engineio
