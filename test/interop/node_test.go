package interop_test

import "testing"

// TestNodeClient connects Node.js ws clients to our server (Accept).
func TestNodeClient(t *testing.T) {
	node := nodeCommand(t)
	runSuite(t, peerClients(t, "ws client", append(node, "ws_client.js")...))
}

// TestNodeServer connects our client (Dial) to a Node.js ws server.
func TestNodeServer(t *testing.T) {
	node := nodeCommand(t)
	runSuite(t, peerServer(t, "ws server", append(node, "ws_server.js")...))
}
