//go:build serve

package main

import "github.com/duplexrt/duplex/websocket"

// serve hands c to Serve; a false from handle closes c.
func serve(c *websocket.Conn, handle func(websocket.MessageType, []byte) bool, done func()) {
	c.Serve(func(c *websocket.Conn, typ websocket.MessageType, p []byte) {
		if !handle(typ, p) {
			c.CloseNow()
		}
	}, func(*websocket.Conn, error) {
		if done != nil {
			done()
		}
	})
}
