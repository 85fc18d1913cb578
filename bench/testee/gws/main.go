// Command gws is the whole-server benchmark's testee for
// github.com/lxzan/gws (see package testee for the contract).
//
// It follows the library's README: an Upgrader per path, each
// connection's ReadLoop in a goroutine of its own, no compression;
// /echo answers in OnMessage with WriteMessage; /broadcast builds a
// Broadcaster once per message and calls its Broadcast for every
// subscriber, which queues the frame on the connection's own write
// queue. gws offers no limit for that queue, so no subscriber is ever
// dropped.
package main

import (
	"bytes"
	"net/http"

	"github.com/duplexrt/duplex/bench/internal/testee"
	"github.com/lxzan/gws"
)

func main() {
	testee.Main("gws", upgradeHandler(echoUpgrader), upgradeHandler(newBroadcastUpgrader()))
}

var options = &gws.ServerOption{ReadMaxPayloadSize: testee.ReadLimit}

var echoUpgrader = gws.NewUpgrader(&echoHandler{}, options)

func upgradeHandler(u *gws.Upgrader) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		socket, err := u.Upgrade(w, r)
		if err != nil {
			return
		}
		go socket.ReadLoop()
	}
}

type echoHandler struct{ gws.BuiltinEventHandler }

func (echoHandler) OnPing(socket *gws.Conn, payload []byte) { socket.WritePong(payload) }

func (echoHandler) OnMessage(socket *gws.Conn, message *gws.Message) {
	defer message.Close()
	socket.WriteMessage(message.Opcode, message.Bytes())
}

type broadcastHandler struct {
	gws.BuiltinEventHandler
	hub testee.Hub[*gws.Conn]
}

func newBroadcastUpgrader() *gws.Upgrader {
	return gws.NewUpgrader(&broadcastHandler{}, options)
}

func (h *broadcastHandler) OnOpen(socket *gws.Conn)             { h.hub.Add(socket) }
func (h *broadcastHandler) OnClose(socket *gws.Conn, err error) { h.hub.Remove(socket) }
func (h *broadcastHandler) OnPing(socket *gws.Conn, payload []byte) {
	socket.WritePong(payload)
}

func (h *broadcastHandler) OnMessage(socket *gws.Conn, message *gws.Message) {
	// The message's buffer goes back to a pool at Close; the
	// broadcaster's writes happen later.
	payload := bytes.Clone(message.Bytes())
	op := message.Opcode
	message.Close()
	b := gws.NewBroadcaster(op, payload)
	for _, s := range h.hub.Subscribers() {
		b.Broadcast(s)
	}
	b.Close()
}
