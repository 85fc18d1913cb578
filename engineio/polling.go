package engineio

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// A pollWait is a GET request waiting for packets (spec: "Receiving
// data"). Whoever hands it packets first clears Session.poll, under
// Session.mu, then sends them on ready, which never blocks.
type pollWait struct {
	ready chan []outPacket // buffered: 1
}

// handLocked answers the pending GET with pkts.
func (s *Session) handLocked(pkts []outPacket) {
	s.poll.ready <- pkts
	s.poll = nil
}

// servePolling handles a request of the polling transport for an
// existing session.
func (s *Session) servePolling(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.servePoll(w, r)
	case http.MethodPost:
		s.serveData(w, r)
	default:
		writeError(w, codeBadRequest, 0, "")
	}
}

// servePoll answers a GET with the queued packets, waiting for some when
// there are none (spec: "Receiving data").
func (s *Session) servePoll(w http.ResponseWriter, r *http.Request) {
	cfg := s.srv.cfg
	rc := http.NewResponseController(w)
	// Long-polling outlasts any write timeout of the http.Server; this
	// request's bound is ours: the wait, then the writing.
	rc.SetWriteDeadline(time.Now().Add(2 * cfg.stall))
	defer rc.SetWriteDeadline(time.Time{})

	s.mu.Lock()
	var pkts []outPacket
	switch {
	case s.state == stateClosed:
		s.mu.Unlock()
		writeError(w, codeUnknownSID, 0, "")
		return
	case s.onWebSocket:
		s.mu.Unlock()
		writeError(w, codeBadRequest, 0, "")
		return
	case s.poll != nil:
		// Spec: "a client MUST NOT have more than one active GET request.
		// Should it happen, the server MUST return an HTTP 400 error
		// status and close the session." The pending one gets the close
		// packet.
		s.finishLocked(reasonTransportError, errPollOverlap, nil)
		s.mu.Unlock()
		writeError(w, codeBadRequest, 0, "")
		return
	case s.state == stateClosing && len(s.queue) > 0:
		// The close packet goes with the next GET (see Close).
		pkts = s.takeLocked()
		s.mu.Unlock()
	case s.state == stateClosing:
		pkts = []outPacket{closePacket}
		s.finishLocked(s.closeReason, nil, nil)
		s.mu.Unlock()
	case len(s.queue) > 0:
		pkts = s.takeLocked()
		s.mu.Unlock()
	case s.probed:
		// An upgrade is being probed: the client should pause polling;
		// end this request at once (spec: "Upgrade").
		pkts = []outPacket{noopPacket}
		s.mu.Unlock()
	default:
		pw := &pollWait{ready: make(chan []outPacket, 1)}
		s.poll = pw
		s.mu.Unlock()
		var ok bool
		if pkts, ok = s.awaitPoll(r, pw); !ok {
			return
		}
	}
	if err := writePayload(w, rc, pkts); err != nil {
		s.mu.Lock()
		s.finishLocked(reasonTransportError, err, nil)
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.recycleLocked(pkts)
	s.mu.Unlock()
}

// awaitPoll waits until the pending GET pw is handed packets. A client
// that gives up the request closes the session, as with the reference
// server. ok is false when there is nothing to answer.
func (s *Session) awaitPoll(r *http.Request, pw *pollWait) (pkts []outPacket, ok bool) {
	// The heartbeat hands the GET a ping every PingInterval, so this
	// bound is only a backstop.
	timer := time.NewTimer(s.srv.cfg.stall)
	defer timer.Stop()
	select {
	case pkts = <-pw.ready:
		return pkts, true
	case <-r.Context().Done():
		s.mu.Lock()
		if s.poll == pw {
			s.poll = nil
			s.finishLocked(reasonTransportError, errPollAborted, nil)
			s.mu.Unlock()
			return nil, false
		}
		s.mu.Unlock()
	case <-timer.C:
		s.mu.Lock()
		if s.poll == pw {
			s.poll = nil
			s.mu.Unlock()
			return []outPacket{noopPacket}, true
		}
		s.mu.Unlock()
	}
	return <-pw.ready, true // handed while we looked
}

// writePayload writes pkts as the body of a GET response.
func writePayload(w http.ResponseWriter, rc *http.ResponseController, pkts []outPacket) error {
	buf := getBuffer()
	defer putBuffer(buf)
	buf.Grow(payloadLen(pkts))
	body := appendPayload(buf.AvailableBuffer(), pkts)
	releasePackets(pkts)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := rc.Flush(); err != nil && err != http.ErrNotSupported {
		return err
	}
	return nil
}

// serveData reads a POST's payload and acts on its packets (spec:
// "Sending data").
func (s *Session) serveData(w http.ResponseWriter, r *http.Request) {
	cfg := s.srv.cfg
	s.mu.Lock()
	switch {
	case s.state == stateClosed:
		s.mu.Unlock()
		writeError(w, codeUnknownSID, 0, "")
		return
	case s.onWebSocket:
		s.mu.Unlock()
		writeError(w, codeBadRequest, 0, "")
		return
	case s.posting:
		// Spec: a second active POST gets 400 and closes the session.
		s.finishLocked(reasonTransportError, errPostOverlap, nil)
		s.mu.Unlock()
		writeError(w, codeBadRequest, 0, "")
		return
	case r.Header.Get("Content-Type") == "application/octet-stream":
		// Protocol v4 sends binary as base64 text; the reference server
		// treats a binary body as a transport error.
		s.finishLocked(reasonTransportError, errBinaryPost, nil)
		s.mu.Unlock()
		writeError(w, codeBadRequest, 0, "")
		return
	}
	s.posting = true
	s.mu.Unlock()
	// The POST ends once its packets are delivered, before "ok" goes
	// out: a client may send its next POST, on another connection, as
	// soon as it reads the answer.
	released := false
	release := func() {
		if !released {
			released = true
			s.mu.Lock()
			s.posting = false
			s.mu.Unlock()
		}
	}
	defer release()

	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(cfg.stall))
	rc.SetWriteDeadline(time.Now().Add(2 * cfg.stall))
	defer rc.SetWriteDeadline(time.Time{})
	buf := getBuffer()
	defer putBuffer(buf)
	var err error
	if r.ContentLength > cfg.maxPayload {
		err = errPayloadTooBig
	} else if _, err = buf.ReadFrom(io.LimitReader(r.Body, cfg.maxPayload+1)); err == nil && int64(buf.Len()) > cfg.maxPayload {
		err = errPayloadTooBig
	}
	rc.SetReadDeadline(time.Time{})
	if err != nil {
		s.mu.Lock()
		s.finishLocked(reasonTransportError, err, nil)
		s.mu.Unlock()
		if err == errPayloadTooBig {
			w.Header().Set("Connection", "close") // the rest of the body stays unread
			writeError(w, codeBadRequest, http.StatusRequestEntityTooLarge, "")
		} else {
			writeError(w, codeBadRequest, 0, "")
		}
		return
	}
	if err := decodePayload(buf.Bytes(), s.onPacket); err != nil {
		s.parseError(err)
		writeError(w, codeBadRequest, 0, "")
		return
	}
	release()
	// "text/html" rather than "text/plain", as the reference server
	// answers, to avoid a download dialog in some browsers.
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", "2")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "ok")
	rc.Flush()
}

// Buffers for request and response bodies. Large ones are not kept.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuffer = 64 << 10

func getBuffer() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		b.Reset()
		bufPool.Put(b)
	}
}
