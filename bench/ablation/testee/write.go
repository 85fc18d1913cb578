//go:build !enqueue

package main

import (
	"context"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// send writes pm to s, waiting at most a second: one subscriber at a
// time, as before Enqueue.
func send(s *websocket.Conn, pm *websocket.PreparedMessage) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.WritePrepared(ctx, pm) == nil
}
