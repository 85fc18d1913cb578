package engineio

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/duplexrt/duplex/internal/gopool"
	"github.com/duplexrt/duplex/websocket"
)

// A wsConn is a WebSocket connection that carries a session, or that is
// being probed to carry it. Each packet is one message: text packets in
// text messages, binary messages as they are (spec: "Packet encoding",
// WebSocket).
//
// It is read with websocket.Conn.Serve (serveWS) for as long as it is
// open. Writes come from one writer goroutine at a time (writeWS), or
// from the reading for the probe's answer before the upgrade.
type wsConn struct {
	conn *websocket.Conn
	dead bool // the reader saw the connection end; guarded by Session.mu
}

// upgrade handles a WebSocket request with a sid: the client probes
// WebSocket to move its polling session there (spec: "Upgrade"). A
// session already on WebSocket, or already being upgraded, is refused.
func (srv *Server) upgrade(w http.ResponseWriter, r *http.Request, s *Session) {
	s.mu.Lock()
	ok := srv.cfg.upgrades && s.state != stateClosed && !s.onWebSocket && !s.upgrading
	if ok {
		s.upgrading = true
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, codeBadRequest, 0, "")
		return
	}
	var conn *websocket.Conn
	if srv.allowRequest(w, r) {
		conn, _ = websocket.Accept(w, r, srv.acceptOptions(r))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if conn == nil {
		s.upgrading = false
		return
	}
	if s.state == stateClosed {
		srv.goTracked(func() { conn.Close(websocket.StatusGoingAway, "") })
		return
	}
	t := &wsConn{conn: conn}
	s.probe = t
	s.upgradeTimer = time.AfterFunc(srv.cfg.upgradeTimeout, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.abandonProbeLocked(t)
	})
	s.serveWS(t)
}

// serveWS reads t until it ends, with websocket.Conn.Serve: a session
// whose client sends nothing holds no goroutine and no read buffer. The
// reads need no deadline of their own: the heartbeat closes the session
// of a client that went quiet, and UpgradeTimeout a probe, which closes t
// and ends the reading. Shutdown waits for the reading to end.
func (s *Session) serveWS(t *wsConn) {
	s.srv.work.add()
	t.conn.Serve(func(_ *websocket.Conn, typ websocket.MessageType, data []byte) {
		s.wsMessage(t, typ, data)
	}, func(_ *websocket.Conn, err error) {
		defer s.srv.work.done()
		s.wsEnded(t, err)
	})
}

// wsMessage acts on a message of t.
func (s *Session) wsMessage(t *wsConn, typ websocket.MessageType, data []byte) {
	var p packet
	if typ == websocket.MessageBinary {
		p = packet{typ: packetMessage, data: data, binary: true}
	} else {
		var err error
		// Binary data comes in binary messages: a base64 text packet
		// is rare enough to decode into a buffer of its own.
		if p, _, err = decodePacket(data, nil); err != nil {
			s.wsParseError(t, err)
			return
		}
	}
	s.mu.Lock()
	switch t {
	case s.probe:
		s.onProbePacketLocked(t, p) // unlocks
	case s.ws:
		s.mu.Unlock()
		s.onPacket(p)
	default:
		s.mu.Unlock() // an abandoned probe or a finished session
	}
}

// onProbePacketLocked acts on a packet of the WebSocket being probed: the
// probe ping gets its pong and the pending GET a noop, the upgrade packet
// moves the session over, anything else abandons the upgrade (as the
// reference server does). It unlocks s.mu.
func (s *Session) onProbePacketLocked(t *wsConn, p packet) {
	switch {
	case p.typ == packetPing && string(p.data) == probe:
		s.probed = true
		if s.poll != nil {
			// Spec: "send a noop packet to any pending GET request".
			// Queued packets go first: they were waiting for this GET.
			s.handLocked(append(s.takeLocked(), noopPacket))
		}
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.stall)
		err := t.conn.Write(ctx, websocket.MessageText, probePongPacket.data)
		cancel()
		if err != nil {
			s.mu.Lock()
			s.abandonProbeLocked(t)
			s.mu.Unlock()
		}
	case p.typ == packetUpgrade:
		s.upgradeLocked(t)
		s.mu.Unlock()
	default:
		s.abandonProbeLocked(t)
		s.mu.Unlock()
	}
}

// upgradeLocked moves the session to t, the probed WebSocket: a pending
// GET ends with a noop and the queue goes out on t.
func (s *Session) upgradeLocked(t *wsConn) {
	stopTimer(s.upgradeTimer)
	s.stopCloseTimerLocked() // a closing session now closes through t
	s.probe, s.upgrading, s.probed = nil, false, false
	s.ws, s.onWebSocket = t, true
	if s.poll != nil {
		s.handLocked([]outPacket{noopPacket})
	}
	s.kickLocked()
}

// abandonProbeLocked gives up the upgrade to t, if t is still probed: t is
// closed and the session stays on polling.
func (s *Session) abandonProbeLocked(t *wsConn) {
	if s.probe != t {
		return
	}
	stopTimer(s.upgradeTimer)
	s.probe, s.upgrading, s.probed = nil, false, false
	if !t.dead {
		conn := t.conn
		s.srv.goTracked(func() { conn.Close(websocket.StatusNormalClosure, "") })
	}
}

// wsParseError handles an invalid packet on t.
func (s *Session) wsParseError(t *wsConn, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch t {
	case s.probe:
		s.abandonProbeLocked(t)
	case s.ws:
		s.finishLocked(reasonParseError, err, nil)
	}
}

// wsEnded handles the end of t, seen by its reader. A close frame or a
// dropped connection is "transport close"; a connection this side failed
// because of what the client sent (such as a message over maxPayload) is
// "transport error".
func (s *Session) wsEnded(t *wsConn, err error) {
	s.mu.Lock()
	t.dead = true
	switch t {
	case s.probe:
		s.abandonProbeLocked(t)
	case s.ws:
		reason := reasonTransportClose
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Local {
			reason = reasonTransportError
		}
		s.finishLocked(reason, err, nil)
	}
	s.mu.Unlock()
	t.conn.CloseNow()
}

// writers runs the writers of WebSocket sessions (writeWS): a pool of its
// own, so that starting one allocates no closure.
var writers = gopool.New(func(s *Session) {
	defer s.srv.work.done()
	s.writeWS()
})

// writeWS writes the queue to the session's WebSocket until it is empty,
// then returns; Send starts it again. A closing session is finished once
// its queue is out.
func (s *Session) writeWS() {
	for {
		s.mu.Lock()
		t := s.ws
		if s.state == stateClosed {
			s.writing = false
			s.mu.Unlock()
			return
		}
		batch := s.takeLocked()
		if len(batch) == 0 {
			s.writing = false
			if s.state == stateClosing {
				s.finishLocked(s.closeReason, nil, nil)
			}
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		err := writeBatch(t.conn, batch)
		s.mu.Lock()
		s.recycleLocked(batch)
		if err != nil {
			s.writing = false
			s.finishLocked(reasonTransportError, err, nil)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// writeBatch writes the packets of batch as messages, small ones in one
// system call. The write needs no deadline of its own: a client that
// stops reading gets no more pings, so the heartbeat closes its session,
// which ends the write.
func writeBatch(conn *websocket.Conn, batch []outPacket) error {
	mp := messagesPool.Get().(*[]websocket.Message)
	msgs := (*mp)[:0]
	for _, p := range batch {
		typ := websocket.MessageText
		if p.binary {
			typ = websocket.MessageBinary
		}
		msgs = append(msgs, websocket.Message{Type: typ, Data: p.data})
	}
	err := conn.WriteMessages(context.Background(), msgs)
	releasePackets(batch) // WriteMessages keeps nothing of them
	clear(msgs)
	*mp = msgs[:0]
	messagesPool.Put(mp)
	return err
}

// messagesPool holds the slices writeBatch hands to WriteMessages.
var messagesPool = sync.Pool{New: func() any { return new([]websocket.Message) }}
