package engineio

import "time"

// heartbeat is a session's side of the heartbeat (spec: "Heartbeat"): the
// server sends a ping every PingInterval, and a client that does not
// answer with a pong within PingTimeout is gone. It is guarded by
// Session.mu.
//
// One timer serves both waits. Its callback may be late, running after
// the timer was reset for the next wait, so it acts only once the time
// in due has come.
type heartbeat struct {
	timer        *time.Timer
	due          time.Time // when the current wait ends
	awaitingPong bool      // a ping is out; the wait is for its pong
	lastPacket   time.Time // when the client last sent a packet of any kind
}

func (h *heartbeat) stop() {
	if h.timer != nil {
		h.timer.Stop()
	}
}

// scheduleLocked starts the next wait of the heartbeat.
func (s *Session) scheduleLocked(d time.Duration) {
	s.hb.due = time.Now().Add(d)
	if s.hb.timer == nil {
		s.hb.timer = time.AfterFunc(d, s.onHeartbeat)
	} else {
		s.hb.timer.Reset(d)
	}
}

// onHeartbeat runs when a wait of the heartbeat ends: it sends a ping, or
// closes the session whose pong did not come.
func (s *Session) onHeartbeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || time.Now().Before(s.hb.due) {
		return
	}
	cfg := s.srv.cfg
	if !s.hb.awaitingPong {
		s.queue = append(s.queue, pingPacket)
		s.kickLocked()
		s.hb.awaitingPong = true
		s.scheduleLocked(cfg.pingTimeout)
		return
	}
	// Like the reference server, count any packet as a sign of life: a
	// client busy sending may answer the ping a little late.
	if idle := time.Since(s.hb.lastPacket); idle < cfg.pingTimeout {
		s.scheduleLocked(cfg.pingTimeout - idle)
		return
	}
	s.finishLocked(reasonPingTimeout, errPingTimeout, nil)
}

// pongLocked takes the client's pong: the next ping goes out PingInterval
// from now.
func (s *Session) pongLocked() {
	if s.hb.awaitingPong {
		s.hb.awaitingPong = false
		s.scheduleLocked(s.srv.cfg.pingInterval)
	}
}
