package engineio

import (
	"net/http"
	"sync"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// sessionState is where a session is in its life.
type sessionState uint8

const (
	stateOpen    sessionState = iota
	stateClosing              // Close was called: queued packets go out, then the session finishes
	stateClosed               // finished: OnClose is called or has been
)

// A Session is one client's Engine.IO session. It outlives the HTTP
// requests and connections that carry it, and moves from long-polling to
// WebSocket when the client upgrades.
//
// Its methods are safe for concurrent use. The callbacks set with
// OnMessage and OnClose are called one at a time, never concurrently.
type Session struct {
	srv *Server
	id  string // immutable
	hs  handshakeRequest

	// deliverMu is held while OnMessage runs, so that messages from two
	// transports (a POST and a WebSocket during an upgrade) are delivered
	// one at a time, and while OnClose is scheduled.
	deliverMu sync.Mutex

	mu        sync.Mutex
	onMessage func(data []byte, binary bool) // guarded by mu
	onClose   func(reason string, err error) // guarded by mu
	closeErr  error                          // what made it finish; guarded by mu
	queue     []outPacket                    // packets for the client, oldest first; guarded by mu
	spare     []outPacket                    // an emptied batch for reuse as queue; guarded by mu
	queuedLen int64                          // bytes of those messages; guarded by mu
	hb        heartbeat                      // guarded by mu

	// Polling state, guarded by mu.
	poll       *pollWait   // the pending GET, if any
	closeTimer *time.Timer // a closing session waiting for the next GET

	// WebSocket state, guarded by mu.
	ws           *wsConn     // the WebSocket transport, once the session uses one
	probe        *wsConn     // the WebSocket being probed
	upgradeTimer *time.Timer // abandons the probe after UpgradeTimeout

	// Small fields, packed together; the lock of each is named.
	queued       int32        // messages in queue (other packets do not count); guarded by mu
	finished     bool         // OnClose is running or has run: no more OnMessage; guarded by deliverMu
	posting      bool         // a POST is being read; guarded by mu
	writing      bool         // a goroutine is writing queue to ws; guarded by mu
	upgrading    bool         // an upgrade is under way: a probe is accepted or being accepted; guarded by mu
	probed       bool         // the probe ping came: pending and new GETs are answered at once; guarded by mu
	awaitingPong bool         // a ping is out; the heartbeat waits for its pong; guarded by mu
	onWebSocket  bool         // the session's transport is WebSocket, not polling; guarded by mu
	state        sessionState // guarded by mu
	closeReason  reason       // why a closing session closes; guarded by mu
	reason       reason       // why the session finished; guarded by mu
}

func (srv *Server) newSession(id string, r *http.Request, transport string) *Session {
	return &Session{srv: srv, id: id, onWebSocket: transport == transportWebSocket, hs: keepRequest(r)}
}

// ID returns the session id: 20 characters of base64url from 15 bytes of
// crypto/rand.
func (s *Session) ID() string { return s.id }

// Request returns the handshake request, rebuilt at each call from what
// the session keeps of it: the method, URL with the query, protocol,
// headers, Host, RemoteAddr and TLS state. Its body is empty and its
// context is the background context.
func (s *Session) Request() *http.Request { return s.hs.request() }

// Transport returns the transport the session uses now: "polling" or
// "websocket".
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transportLocked()
}

func (s *Session) transportLocked() string {
	if s.onWebSocket {
		return transportWebSocket
	}
	return transportPolling
}

// OnMessage sets the function called with each message of the client, in
// order. data is valid only during the call. Calls are one at a time;
// while one runs, the client's next messages and pongs wait, so f should
// not block for long (a call longer than PingTimeout makes the session
// time out). Set it in Options.OnSession.
func (s *Session) OnMessage(f func(data []byte, binary bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onMessage = f
}

// OnClose sets the function called once when the session ends, after the
// last OnMessage call has returned. reason is one of "transport close"
// (the client closed the session or its connection), "transport error"
// (the connection failed or the client broke a transport rule, such as
// an oversized payload), "ping timeout", "parse error" (an invalid
// packet), "forced close" (Close) and "server shutting down"
// (Server.Shutdown); err says more when there is more to say.
func (s *Session) OnClose(f func(reason string, err error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onClose = f
}

// Send queues one message for the client and returns at once: it never
// waits for the network. data is copied. A text message must be valid
// UTF-8 without the byte 0x1e (ErrInvalidText). Send returns
// ErrQueueFull when the session's send queue is full and ErrClosed once
// the session is closing or closed.
func (s *Session) Send(data []byte, binary bool) error {
	var p outPacket
	if binary {
		p = binaryMessage(data)
	} else {
		if !validText(data) {
			return ErrInvalidText
		}
		p = textMessage(data)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen {
		return ErrClosed
	}
	cfg := s.srv.cfg
	if int(s.queued) >= cfg.queueMessages || s.queued > 0 && s.queuedLen+int64(len(data)) > cfg.queueBytes {
		return ErrQueueFull
	}
	s.queue = append(s.queue, p)
	s.queued++
	s.queuedLen += int64(len(data))
	s.kickLocked()
	return nil
}

// Close closes the session from the server's side, with the reason
// "forced close": the messages already queued are sent, then the client
// is told to close. On polling, the client's next GET takes the queued
// messages and the one after it the close packet, as with the reference
// server (the client handles a response's packets in order, so a close
// packet in the same response would overtake them); a client that does
// not poll within PingInterval+PingTimeout is dropped. Close returns
// ErrClosed if the session is already closing or closed.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen {
		return ErrClosed
	}
	s.closeLocked(reasonForcedClose, s.srv.cfg.stall)
	return nil
}

// closeLocked starts closing an open session with reason. A polling
// client with no GET waiting gets wait to come back for its packets and
// the close packet; a WebSocket client, to take its packets.
func (s *Session) closeLocked(reason reason, wait time.Duration) {
	s.state = stateClosing
	s.closeReason = reason
	s.stopHeartbeatLocked()
	switch {
	case s.onWebSocket:
		s.kickLocked() // the writer finishes the session once the queue is out
		// The heartbeat is stopped: a client that does not read is
		// dropped after wait.
		s.armCloseTimerLocked(wait)
	case s.poll != nil:
		// A GET is waiting, so nothing is queued (kickLocked hands the
		// queue to a waiting GET at once).
		s.finishLocked(reason, nil, append(s.takeLocked(), closePacket))
	default:
		s.armCloseTimerLocked(wait)
	}
}

// armCloseTimerLocked drops a closing session whose client has not taken
// its last packets within wait. Server.Shutdown waits for the timer.
func (s *Session) armCloseTimerLocked(wait time.Duration) {
	if s.closeTimer != nil && !s.closeTimer.Stop() {
		return // firing: the session finishes now
	}
	if s.closeTimer == nil {
		s.srv.work.add()
	}
	s.closeTimer = time.AfterFunc(wait, func() {
		defer s.srv.work.done()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.state == stateClosing {
			s.finishLocked(s.closeReason, nil, nil)
		}
	})
}

// takeLocked removes and returns every queued packet.
func (s *Session) takeLocked() []outPacket {
	q := s.queue
	s.queue, s.spare = s.spare, nil
	s.queued, s.queuedLen = 0, 0
	return q
}

// recycleLocked offers an emptied batch for reuse as the queue.
func (s *Session) recycleLocked(batch []outPacket) {
	clear(batch)
	if s.spare == nil && cap(batch) <= 2*s.srv.cfg.queueMessages {
		s.spare = batch[:0]
	}
}

// kickLocked moves queued packets towards the client: to the pending GET
// on polling, to the writer goroutine (started if needed) on WebSocket.
func (s *Session) kickLocked() {
	if !s.onWebSocket {
		if s.poll != nil && len(s.queue) > 0 {
			s.handLocked(s.takeLocked())
		}
		return
	}
	if !s.writing && s.ws != nil && (len(s.queue) > 0 || s.state == stateClosing) {
		s.writing = true
		s.srv.work.add()
		writers.Go(s)
	}
}

// onPacket acts on a packet from the client, on any transport. It returns
// false when the packets after it must be dropped.
func (s *Session) onPacket(p packet) bool {
	s.mu.Lock()
	if s.state != stateOpen {
		// The reference server drops packets of a closing session; a
		// close packet finishes it.
		if p.typ == packetClose && s.state == stateClosing {
			s.finishLocked(reasonTransportClose, nil, []outPacket{noopPacket})
		}
		s.mu.Unlock()
		return false
	}
	s.hb.lastPacket = s.srv.beats.Now()
	switch p.typ {
	case packetMessage:
		s.mu.Unlock()
		s.deliver(p.data, p.binary)
		return true
	case packetPong:
		s.pongLocked()
	case packetClose:
		// The client closes: a pending GET ends with a noop (the
		// reference server's behaviour, checked by the protocol's test
		// suite).
		s.finishLocked(reasonTransportClose, nil, []outPacket{noopPacket})
		s.mu.Unlock()
		return false
	case packetPing:
		s.finishLocked(reasonTransportError, errPingFromClient, nil)
		s.mu.Unlock()
		return false
	}
	// open, upgrade (on the transport in use) and noop mean nothing here.
	s.mu.Unlock()
	return true
}

// parseError finishes the session after an invalid packet.
func (s *Session) parseError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finishLocked(reasonParseError, err, nil)
}

// deliver calls OnMessage, unless the session is no longer open.
func (s *Session) deliver(data []byte, binary bool) {
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()
	if s.finished {
		return
	}
	s.mu.Lock()
	f, open := s.onMessage, s.state == stateOpen
	s.mu.Unlock()
	if f != nil && open {
		f(data, binary)
	}
}

// finishLocked ends the session with reason and err: it unregisters it,
// stops its timers, answers a pending GET with last (the close packet
// when last is empty), closes its WebSockets and schedules OnClose. The
// queue is dropped. Later calls do nothing.
func (s *Session) finishLocked(reason reason, err error, last []outPacket) {
	if s.state == stateClosed {
		return
	}
	s.state = stateClosed
	s.reason, s.closeErr = reason, err
	s.srv.removeLocked(s)
	s.stopHeartbeatLocked()
	s.stopCloseTimerLocked()
	stopTimer(s.upgradeTimer)
	if s.poll != nil {
		if len(last) == 0 {
			last = []outPacket{closePacket}
		}
		s.handLocked(last)
	}
	s.queue, s.spare = nil, nil
	s.queued, s.queuedLen = 0, 0
	code, text := websocket.StatusNormalClosure, ""
	if reason == reasonShutdown {
		code, text = websocket.StatusGoingAway, reason.String()
	}
	for _, t := range []*wsConn{s.ws, s.probe} {
		if t != nil && !t.dead {
			conn := t.conn
			s.srv.goTracked(func() { conn.Close(code, text) })
		}
	}
	s.probe = nil
	s.srv.goTracked(s.notifyClose)
}

// notifyClose calls OnClose once the last OnMessage call has returned.
func (s *Session) notifyClose() {
	s.deliverMu.Lock()
	s.finished = true
	s.deliverMu.Unlock()
	s.mu.Lock()
	f, reason, err := s.onClose, s.reason, s.closeErr
	s.mu.Unlock()
	if f != nil {
		f(reason.String(), err)
	}
}

// stopCloseTimerLocked stops the timer of armCloseTimerLocked, if any.
func (s *Session) stopCloseTimerLocked() {
	if s.closeTimer != nil && s.closeTimer.Stop() {
		s.srv.work.done() // the timer's function will not run
	}
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}
