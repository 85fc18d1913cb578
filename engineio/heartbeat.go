package engineio

import (
	"time"

	"github.com/duplexrt/duplex/internal/timers"
)

// heartbeat is a session's side of the heartbeat (spec: "Heartbeat"): the
// server sends a ping every PingInterval, and a client that does not
// answer with a pong within PingTimeout is gone. It is guarded by
// Session.mu, its entry by the server's queue of heartbeats.
//
// The server keeps the waits of every session in one timers.Queue. Its
// callback may be late, running after the wait was moved for the next
// one, so it acts only once the time in due has come.
type heartbeat struct {
	entry      timers.Entry
	due        int64 // when the current wait ends, on the queue's clock
	lastPacket int64 // when the client last sent a packet of any kind, on the queue's clock
}

// heartbeatEntry returns the place of s in the server's queue.
func heartbeatEntry(s *Session) *timers.Entry { return &s.hb.entry }

// scheduleLocked starts the next wait of the heartbeat.
func (s *Session) scheduleLocked(d time.Duration) {
	s.hb.due = s.srv.beats.Schedule(s, d)
}

// stopHeartbeatLocked ends the waits of the heartbeat.
func (s *Session) stopHeartbeatLocked() {
	s.srv.beats.Stop(s)
}

// onHeartbeat runs when a wait of the heartbeat ends: it sends a ping, or
// closes the session whose pong did not come.
func (s *Session) onHeartbeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.srv.beats.Now()
	if s.state != stateOpen || now < s.hb.due {
		return
	}
	cfg := s.srv.cfg
	if !s.awaitingPong {
		s.queue = append(s.queue, pingPacket)
		s.kickLocked()
		s.awaitingPong = true
		s.scheduleLocked(cfg.pingTimeout)
		return
	}
	// Like the reference server, count any packet as a sign of life: a
	// client busy sending may answer the ping a little late.
	if idle := time.Duration(now - s.hb.lastPacket); idle < cfg.pingTimeout {
		s.scheduleLocked(cfg.pingTimeout - idle)
		return
	}
	s.finishLocked(reasonPingTimeout, errPingTimeout, nil)
}

// pongLocked takes the client's pong: the next ping goes out PingInterval
// from now.
func (s *Session) pongLocked() {
	if s.awaitingPong {
		s.awaitingPong = false
		s.scheduleLocked(s.srv.cfg.pingInterval)
	}
}
