package socketio

// Disconnect reasons, as the reference server names them. A Socket's
// disconnect handlers get one of these.
const (
	// The Engine.IO session ended; see engineio.Session.OnClose.
	ReasonTransportClose = "transport close"
	ReasonTransportError = "transport error"
	ReasonPingTimeout    = "ping timeout"
	ReasonForcedClose    = "forced close"

	// The client sent something that is not Socket.IO (or not
	// Engine.IO): the connection is closed.
	ReasonParseError = "parse error"

	// Server.Shutdown.
	ReasonServerShuttingDown = "server shutting down"

	// The server closed the connection: Socket.Disconnect(true), a client
	// that broke the order of the protocol (such as an event for a
	// namespace it has not joined), a handler that panicked, a client too
	// slow to take what is sent to it.
	ReasonForcedServerClose = "forced server close"

	// The client left the namespace (DISCONNECT packet).
	ReasonClientNamespaceDisconnect = "client namespace disconnect"

	// Socket.Disconnect(false) or Namespace.DisconnectSockets.
	ReasonServerNamespaceDisconnect = "server namespace disconnect"
)
