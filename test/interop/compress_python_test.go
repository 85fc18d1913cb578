package interop_test

// permessage-deflate (RFC 7692) against Python websockets, which
// compresses by default: its default offer and answer in both directions,
// and one combination each way with window bits and no context takeover
// set through ClientPerMessageDeflateFactory and
// ServerPerMessageDeflateFactory. The peer is peers/deflate_websockets.py;
// a tap between the ends checks what went over the wire.

import (
	"strconv"
	"testing"

	"github.com/duplexrt/duplex/websocket"
)

// A pythonDeflateCombo is one configuration of both ends.
type pythonDeflateCombo struct {
	name string
	// factory holds the keyword arguments of websockets' factory; nil
	// keeps the library's default compression.
	factory map[string]any
	// ours is our side's compression; Threshold -1 is added.
	ours websocket.CompressionOptions
	want deflateSide
	// negotiated is how websockets shows the extension it set up.
	negotiated string
	huge       []string // modes that also send 16 MiB messages
}

var pythonClientCombos = []pythonDeflateCombo{
	{
		name: "Defaults",
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits",
			answer: "permessage-deflate",
		},
		negotiated: "PerMessageDeflate(remote_no_context_takeover=False, local_no_context_takeover=False, remote_max_window_bits=15, local_max_window_bits=15)",
		huge:       []string{modeWrite},
	},
	{
		name:    "ClientFactory",
		factory: map[string]any{"server_no_context_takeover": true, "client_max_window_bits": 10},
		ours:    websocket.CompressionOptions{ClientNoContextTakeover: true, ServerMaxWindowBits: 11},
		want: deflateSide{
			offer:  "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
			answer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=10",
		},
		negotiated: "PerMessageDeflate(remote_no_context_takeover=True, local_no_context_takeover=True, remote_max_window_bits=15, local_max_window_bits=10)",
	},
}

var pythonServerCombos = []pythonDeflateCombo{
	{
		name: "Defaults",
		// websockets' server limits both windows to 12 bits by default.
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits",
			answer: "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
		},
		negotiated: "PerMessageDeflate(remote_no_context_takeover=False, local_no_context_takeover=False, remote_max_window_bits=12, local_max_window_bits=12)",
		huge:       []string{modeWriter},
	},
	{
		name: "ServerFactory",
		factory: map[string]any{
			"server_no_context_takeover": true, "client_no_context_takeover": true,
			"server_max_window_bits": 10, "client_max_window_bits": 9,
		},
		ours: websocket.CompressionOptions{ClientMaxWindowBits: 11},
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits=11",
			answer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9",
		},
		negotiated: "PerMessageDeflate(remote_no_context_takeover=True, local_no_context_takeover=True, remote_max_window_bits=9, local_max_window_bits=10)",
	},
}

func (c pythonDeflateCombo) peerConfig(t *testing.T) string {
	if c.factory == nil {
		return "null"
	}
	return deflatePeerConfig(t, c.factory)
}

func (c pythonDeflateCombo) goOptions() *websocket.CompressionOptions {
	o := c.ours
	o.Threshold = -1
	return &o
}

// TestDeflatePythonClient connects websockets clients to our server.
func TestDeflatePythonClient(t *testing.T) {
	python := pythonCommand(t)
	for _, c := range pythonClientCombos {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := newDeflateServer(t, c.goOptions())
			id := nextLinkID()
			argv := append(append([]string(nil), python...), "deflate_websockets.py", "client", srv.tap.wsURL("/"+id), id, c.peerConfig(t))
			peer := startPeer(t, "websockets client", argv...)
			conn := srv.accept(t, peer)
			l := &deflateLink{link: &link{conn: conn, peer: peer, id: id}, wire: srv.tap.only(t)}
			runPythonDeflate(t, l, c)
		})
	}
}

// TestDeflatePythonServer connects our client to websockets servers.
func TestDeflatePythonServer(t *testing.T) {
	python := pythonCommand(t)
	for _, c := range pythonServerCombos {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			argv := append(append([]string(nil), python...), "deflate_websockets.py", "server", c.peerConfig(t))
			peer := startPeer(t, "websockets server", argv...)
			port := peer.waitEvent(t, "", "listening", opTimeout).Port
			id := nextLinkID()
			conn, tap := dialDeflate(t, "127.0.0.1:"+strconv.Itoa(port), id, c.goOptions())
			l := &deflateLink{link: &link{conn: conn, peer: peer, id: id}, wire: tap.only(t), goClient: true}
			runPythonDeflate(t, l, c)
		})
	}
}

func runPythonDeflate(t *testing.T, l *deflateLink, c pythonDeflateCombo) {
	t.Helper()
	l.open = l.peerEvent(t, "open")
	l.checkNegotiation(t, c.want, l.open.Extensions)
	if l.open.Message != c.negotiated {
		t.Errorf("websockets negotiated %s, want %s", l.open.Message, c.negotiated)
	}
	if t.Failed() {
		t.FailNow()
	}
	runDeflateExchange(t, l, exchangePlan{sizes: deflateSizes, huge: c.huge})
	closeDeflateLink(t, l)
}
