//go:build enqueue

package main

import "github.com/duplexrt/duplex/websocket"

// send queues pm for s; a full queue drops the subscriber.
func send(s *websocket.Conn, pm *websocket.PreparedMessage) bool {
	if err := s.Enqueue(pm); err != nil {
		go s.Close(websocket.StatusPolicyViolation, "too slow")
		return false
	}
	return true
}
