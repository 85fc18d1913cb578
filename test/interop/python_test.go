package interop_test

import "testing"

// TestPythonClient connects Python websockets clients to our server
// (Accept).
func TestPythonClient(t *testing.T) {
	python := pythonCommand(t)
	runSuite(t, peerClients(t, "websockets client", append(python, "websockets_client.py")...))
}

// TestPythonServer connects our client (Dial) to a Python websockets
// server.
func TestPythonServer(t *testing.T) {
	python := pythonCommand(t)
	runSuite(t, peerServer(t, "websockets server", append(python, "websockets_server.py")...))
}
