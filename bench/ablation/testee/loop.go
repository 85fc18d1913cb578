//go:build !serve

package main

import (
	"context"

	"github.com/duplexrt/duplex/websocket"
)

// serve reads c in a goroutine of its own until handle returns false or
// reading fails; then done runs and c is closed.
func serve(c *websocket.Conn, handle func(websocket.MessageType, []byte) bool, done func()) {
	go func() {
		defer c.CloseNow()
		if done != nil {
			defer done()
		}
		for {
			typ, p, err := c.Read(context.Background())
			if err != nil || !handle(typ, p) {
				return
			}
		}
	}()
}
