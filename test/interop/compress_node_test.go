package interop_test

// permessage-deflate (RFC 7692) against Node.js ws: every combination of
// context takeover and a range of window bits, each set on the ws side and
// on our side in turn, in both directions, with messages from 0 B to
// 16 MiB sent whole and fragmented both ways. The peer is
// peers/deflate_ws.js; a tap between the ends checks what went over the
// wire.

import (
	"strconv"
	"testing"

	"github.com/duplexrt/duplex/websocket"
)

// A nodeDeflateCombo is one configuration of both ends.
type nodeDeflateCombo struct {
	name string
	// node is ws's perMessageDeflate option; threshold 0 is added, so
	// that ws compresses every message.
	node map[string]any
	// ours is our side's compression; Threshold -1 is added.
	ours websocket.CompressionOptions
	want deflateSide
	huge []string // modes that also send 16 MiB messages
}

// nodeClientCombos connect a ws client to our server. Go answers in the
// order server_no_context_takeover, client_no_context_takeover,
// server_max_window_bits, client_max_window_bits, and announces a window
// limit of its own only where the offer asked for one (section 7.1.2).
var nodeClientCombos = []nodeDeflateCombo{
	{
		name: "Defaults",
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits",
			answer: "permessage-deflate",
		},
		huge: []string{modeWrite},
	},
	{
		name: "ServerNoContextTakeover/AskedByNode",
		node: map[string]any{"serverNoContextTakeover": true},
		want: deflateSide{
			offer:  "permessage-deflate; server_no_context_takeover; client_max_window_bits",
			answer: "permessage-deflate; server_no_context_takeover",
		},
	},
	{
		name: "ClientNoContextTakeover/RequiredByGo",
		ours: websocket.CompressionOptions{ClientNoContextTakeover: true},
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits",
			answer: "permessage-deflate; client_no_context_takeover",
		},
	},
	{
		name: "BothNoContextTakeover/ServerImposedByGo",
		node: map[string]any{"clientNoContextTakeover": true},
		ours: websocket.CompressionOptions{ServerNoContextTakeover: true},
		want: deflateSide{
			offer:  "permessage-deflate; client_no_context_takeover; client_max_window_bits",
			answer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		},
	},
	{
		name: "ServerMaxWindowBits10/AskedByNode",
		node: map[string]any{"serverMaxWindowBits": 10},
		want: deflateSide{
			offer:  "permessage-deflate; server_max_window_bits=10; client_max_window_bits",
			answer: "permessage-deflate; server_max_window_bits=10",
		},
	},
	{
		name: "ServerMaxWindowBits12/SetByGo",
		ours: websocket.CompressionOptions{ServerMaxWindowBits: 12},
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits",
			answer: "permessage-deflate",
		},
	},
	{
		name: "ServerMaxWindowBits8/AskedByNode",
		node: map[string]any{"serverMaxWindowBits": 8},
		want: deflateSide{
			offer:  "permessage-deflate; server_max_window_bits=8; client_max_window_bits",
			answer: "permessage-deflate; server_max_window_bits=8",
		},
	},
	{
		name: "ClientMaxWindowBits9/RequiredByGo",
		ours: websocket.CompressionOptions{ClientMaxWindowBits: 9},
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits",
			answer: "permessage-deflate; client_max_window_bits=9",
		},
	},
	{
		name: "ClientMaxWindowBits8/OfferedByNode",
		node: map[string]any{"clientMaxWindowBits": 8},
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits=8",
			answer: "permessage-deflate; client_max_window_bits=8",
		},
	},
	{
		name: "Everything",
		node: map[string]any{
			"serverNoContextTakeover": true, "clientNoContextTakeover": true,
			"serverMaxWindowBits": 9, "clientMaxWindowBits": 10,
		},
		ours: websocket.CompressionOptions{ServerMaxWindowBits: 12, ClientMaxWindowBits: 12, Level: 9},
		want: deflateSide{
			offer:  "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10",
			answer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10",
		},
		huge: []string{modePeerFrags},
	},
}

// nodeServerCombos connect our client to a ws server. ws answers with
// the offer's parameters in the offer's order, then the ones it adds; it
// drops a valueless client_max_window_bits unless it sets a limit.
var nodeServerCombos = []nodeDeflateCombo{
	{
		name: "Defaults",
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits",
			answer: "permessage-deflate",
		},
		huge: []string{modeWriter},
	},
	{
		name: "ServerNoContextTakeover/AskedByGo",
		ours: websocket.CompressionOptions{ServerNoContextTakeover: true},
		want: deflateSide{
			offer:  "permessage-deflate; server_no_context_takeover; client_max_window_bits",
			answer: "permessage-deflate; server_no_context_takeover",
		},
	},
	{
		name: "ClientNoContextTakeover/RequiredByNode",
		node: map[string]any{"clientNoContextTakeover": true},
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits",
			answer: "permessage-deflate; client_no_context_takeover",
		},
	},
	{
		name: "BothNoContextTakeover/ServerImposedByNode",
		node: map[string]any{"serverNoContextTakeover": true},
		ours: websocket.CompressionOptions{ClientNoContextTakeover: true},
		want: deflateSide{
			offer:  "permessage-deflate; client_no_context_takeover; client_max_window_bits",
			answer: "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
		},
	},
	{
		name: "ServerMaxWindowBits10/AskedByGo",
		ours: websocket.CompressionOptions{ServerMaxWindowBits: 10},
		want: deflateSide{
			offer:  "permessage-deflate; server_max_window_bits=10; client_max_window_bits",
			answer: "permessage-deflate; server_max_window_bits=10",
		},
	},
	{
		name: "ServerMaxWindowBits12/SetByNode",
		node: map[string]any{"serverMaxWindowBits": 12},
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits",
			answer: "permessage-deflate; server_max_window_bits=12",
		},
	},
	{
		name: "ServerMaxWindowBits8/AskedByGo",
		ours: websocket.CompressionOptions{ServerMaxWindowBits: 8},
		want: deflateSide{
			offer:  "permessage-deflate; server_max_window_bits=8; client_max_window_bits",
			answer: "permessage-deflate; server_max_window_bits=8",
		},
	},
	{
		name: "ClientMaxWindowBits9/RequiredByNode",
		node: map[string]any{"clientMaxWindowBits": 9},
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits",
			answer: "permessage-deflate; client_max_window_bits=9",
		},
	},
	{
		name: "ClientMaxWindowBits8/OfferedByGo",
		ours: websocket.CompressionOptions{ClientMaxWindowBits: 8},
		want: deflateSide{
			offer:  "permessage-deflate; client_max_window_bits=8",
			answer: "permessage-deflate; client_max_window_bits=8",
		},
	},
	{
		name: "Everything",
		node: map[string]any{"clientMaxWindowBits": 10},
		ours: websocket.CompressionOptions{
			ServerNoContextTakeover: true, ClientNoContextTakeover: true,
			ServerMaxWindowBits: 9, ClientMaxWindowBits: 11, Level: 9,
		},
		want: deflateSide{
			offer:  "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=11",
			answer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10",
		},
		huge: []string{modePeerFrags},
	},
}

// nodeConfig is the combination's perMessageDeflate option for ws.
func (c nodeDeflateCombo) nodeConfig(t *testing.T) string {
	cfg := map[string]any{"threshold": 0}
	for k, v := range c.node {
		cfg[k] = v
	}
	return deflatePeerConfig(t, cfg)
}

// goOptions is the combination's CompressionOptions for our side.
func (c nodeDeflateCombo) goOptions() *websocket.CompressionOptions {
	o := c.ours
	o.Threshold = -1
	return &o
}

// TestDeflateNodeClient connects ws clients with perMessageDeflate to our
// server.
func TestDeflateNodeClient(t *testing.T) {
	node := nodeCommand(t)
	for _, c := range nodeClientCombos {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := newDeflateServer(t, c.goOptions())
			id := nextLinkID()
			argv := append(append([]string(nil), node...), "deflate_ws.js", "client", srv.tap.wsURL("/"+id), id, c.nodeConfig(t))
			peer := startPeer(t, "ws client", argv...)
			conn := srv.accept(t, peer)
			l := &deflateLink{link: &link{conn: conn, peer: peer, id: id}, wire: srv.tap.only(t)}
			runNodeDeflate(t, l, c)
		})
	}
}

// TestDeflateNodeServer connects our client to ws servers with
// perMessageDeflate.
func TestDeflateNodeServer(t *testing.T) {
	node := nodeCommand(t)
	for _, c := range nodeServerCombos {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			argv := append(append([]string(nil), node...), "deflate_ws.js", "server", c.nodeConfig(t))
			peer := startPeer(t, "ws server", argv...)
			port := peer.waitEvent(t, "", "listening", opTimeout).Port
			id := nextLinkID()
			conn, tap := dialDeflate(t, "127.0.0.1:"+strconv.Itoa(port), id, c.goOptions())
			l := &deflateLink{link: &link{conn: conn, peer: peer, id: id}, wire: tap.only(t), goClient: true}
			runNodeDeflate(t, l, c)
		})
	}
}

func runNodeDeflate(t *testing.T, l *deflateLink, c nodeDeflateCombo) {
	t.Helper()
	l.open = l.peerEvent(t, "open")
	l.checkNegotiation(t, c.want, l.open.Extensions)
	if l.open.Message != "permessage-deflate" {
		t.Errorf("ws.extensions = %q, want %q", l.open.Message, "permessage-deflate")
	}
	if t.Failed() {
		t.FailNow()
	}
	runDeflateExchange(t, l, exchangePlan{sizes: deflateSizes, huge: c.huge})
	closeDeflateLink(t, l)
}
