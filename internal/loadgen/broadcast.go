package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// publisher is the sending side of one of the first Publishers
// subscribers. A message counts as in flight until every subscriber
// received it; pending holds, for the message with sequence number s,
// in slot s%InFlight, how many subscribers still wait for it.
type publisher struct {
	*wsConn
	idx          int
	tmpl         *frameTemplate
	pending      []atomic.Int64
	completed    atomic.Int64 // messages every subscriber received
	sent         atomic.Int64 // messages sent
	wake         chan struct{}
	measuredFrom firstMeasured
}

// subscriber is the receiving state of one connection.
type subscriber struct {
	next     []uint64 // per publisher, the sequence number expected next
	joined   bool
	measured int64
	woke     []bool // publishers to wake after this read
}

type broadcastHandler struct {
	r      *run
	pubs   []*publisher
	subs   []*subscriber
	n      int64 // subscribers
	joined atomic.Int64
	op     byte
}

func (h *broadcastHandler) message(c *wsConn, op byte, p []byte, now int64) {
	r := h.r
	s := h.subs[c.id]
	hd, v := r.chk.parse(p)
	switch {
	case v == payloadForeign:
		if r.cfg.AllowOther {
			r.other.Add(1)
			return
		}
		r.fail(errOther, "subscriber %d: a message of %d bytes that the load generator did not send", c.id, len(p))
		return
	case v == payloadCorrupt:
		r.fail(errCorrupt, "subscriber %d: checksum mismatch in a message of %d bytes", c.id, len(p))
		return
	case hd.kind == kindProbe:
		if !s.joined {
			s.joined = true
			h.joined.Add(1)
		}
		return
	case hd.kind != kindData || int(hd.stream) >= len(h.pubs):
		r.fail(errCorrupt, "subscriber %d: a message of kind %q from stream %d", c.id, hd.kind, hd.stream)
		return
	case len(p) != r.cfg.Size:
		r.fail(errCorrupt, "subscriber %d: message of %d bytes, sent %d", c.id, len(p), r.cfg.Size)
	case op != h.op:
		r.fail(errCorrupt, "subscriber %d: message with opcode %d, sent %d", c.id, op, h.op)
	}
	pi := int(hd.stream)
	pub := h.pubs[pi]
	next := s.next[pi]
	switch {
	case hd.seq < next:
		r.fail(errOrder, "subscriber %d: message %d of publisher %d again or late, after %d", c.id, hd.seq, pi, next-1)
		return
	case hd.seq > next:
		r.failN(errLost, int64(hd.seq-next), "subscriber %d: messages %d to %d of publisher %d missing", c.id, next, hd.seq-1, pi)
		for q := next; q < hd.seq; q++ {
			h.received(s, pub, q)
		}
	}
	s.next[pi] = hd.seq + 1
	h.received(s, pub, hd.seq)
	r.all.Add(1)
	if r.inMeasurement() && pub.measuredFrom.includes(hd.seq) {
		c.hist.record(now - hd.sent)
		s.measured++
	}
}

// received counts subscriber s's receipt of message seq of pub.
func (h *broadcastHandler) received(s *subscriber, pub *publisher, seq uint64) {
	if pub.pending[seq%uint64(len(pub.pending))].Add(-1) == 0 {
		pub.completed.Add(1)
		s.woke[pub.idx] = true
	}
}

func (h *broadcastHandler) batch(c *wsConn) {
	s := h.subs[c.id]
	for i, w := range s.woke {
		if w {
			s.woke[i] = false
			select {
			case h.pubs[i].wake <- struct{}{}:
			default:
			}
		}
	}
	if s.measured > 0 {
		c.count += s.measured
		h.r.received.Add(s.measured)
		s.measured = 0
	}
}

// writeLoop publishes until sending stops, keeping at most InFlight
// messages that not every subscriber has received.
func (p *publisher) writeLoop(r *run, subscribers int64) {
	w := int64(len(p.pending))
	pace := pacer{}
	if r.cfg.Rate > 0 {
		pace.perSec = r.cfg.Rate / float64(r.cfg.Publishers)
	}
	b := newBatch(p.tmpl, int(min(w, 64)))
	var timer *time.Timer
	for {
		select {
		case <-r.stopSending:
			return
		default:
		}
		seq := p.sent.Load()
		free := w - (seq - p.completed.Load())
		if free <= 0 {
			select {
			case <-p.wake:
			case <-r.stopSending:
				return
			}
			continue
		}
		n, wait := pace.allowed(r.now())
		if n == 0 {
			if timer == nil {
				timer = time.NewTimer(time.Duration(wait))
			} else {
				timer.Reset(time.Duration(wait))
			}
			select {
			case <-timer.C:
			case <-r.stopSending:
				return
			}
			continue
		}
		n = min(n, free, 64)
		measured := r.inMeasurement()
		if measured {
			p.measuredFrom.mark(uint64(seq))
		}
		n = int64(r.take(int(n), measured))
		if n == 0 {
			<-r.stopSending
			return
		}
		b.reset()
		now := r.now()
		for i := range n {
			s := uint64(seq + i)
			p.pending[s%uint64(w)].Store(subscribers)
			b.add(header{kind: kindData, stream: uint32(p.idx), seq: s, sent: now})
		}
		p.sent.Add(n)
		pace.sent += n
		if measured {
			r.sent.Add(n)
		}
		if err := b.send(p.wsConn); err != nil {
			if !p.closing.Load() {
				r.fail(errWrite, "publisher %d: %v", p.idx, err)
			}
			return
		}
	}
}

// errSubscriberLost ends a broadcast run whose subscriber went away: the
// messages in flight could never complete.
var errSubscriberLost = errors.New("a subscriber's connection ended")

func runBroadcast(ctx context.Context, r *run, rep *Report) ([]*wsConn, error) {
	bufSize := min(max(16*(r.cfg.Size+14), 4<<10), 1<<20)
	conns := r.dialAll(ctx, r.cfg.Conns, bufSize)
	rep.ConnectTime = time.Duration(r.now())
	if r.cfg.Opened != nil {
		r.cfg.Opened(len(conns))
	}
	if len(conns) < r.cfg.Publishers {
		for _, c := range conns {
			c.nc.Close()
		}
		if len(conns) == 0 {
			return nil, ErrNoConnections
		}
		return nil, fmt.Errorf("loadgen: only %d of %d subscribers connected, fewer than the publishers", len(conns), r.cfg.Conns)
	}
	op := byte(opText)
	if r.cfg.Binary {
		op = opBinary
	}
	h := &broadcastHandler{r: r, n: int64(len(conns)), op: op}
	for i := range r.cfg.Publishers {
		c := conns[i]
		h.pubs = append(h.pubs, &publisher{
			wsConn:  c,
			idx:     i,
			tmpl:    newFrameTemplate(op, r.cfg.Size, c.key),
			pending: make([]atomic.Int64, r.cfg.InFlight),
			wake:    make(chan struct{}, 1),
		})
	}
	for range conns {
		h.subs = append(h.subs, &subscriber{
			next: make([]uint64, len(h.pubs)),
			woke: make([]bool, len(h.pubs)),
		})
	}
	wait := r.startReaders(conns, h, func(c *wsConn, err error) {
		if r.phase.Load() < phaseClosing {
			r.abort(errSubscriberLost)
		}
	})
	defer func() {
		r.closeAll(conns, wait)
	}()

	// Subscribers count once the server has registered them, which may be
	// after their handshake: probe until every one has received a probe.
	// Later messages reach them all.
	if err := h.join(ctx, conns[0]); err != nil {
		r.fail(errLost, "%v", err)
		return conns, nil
	}
	for _, p := range h.pubs {
		go p.writeLoop(r, h.n)
	}
	done := func() bool {
		for _, p := range h.pubs {
			if p.completed.Load() != p.sent.Load() {
				return false
			}
		}
		return true
	}
	r.measure(ctx, done)
	r.drain(ctx, done)
	if err := context.Cause(ctx); errors.Is(err, errSubscriberLost) {
		return conns, nil // already reported
	}
	for i, s := range h.subs {
		for pi, p := range h.pubs {
			if missing := p.sent.Load() - int64(s.next[pi]); missing > 0 {
				r.failN(errLost, missing, "subscriber %d: %d messages of publisher %d never arrived", i, missing, pi)
			}
		}
	}
	return conns, nil
}

// join sends probes from c until every subscriber received one.
func (h *broadcastHandler) join(ctx context.Context, c *wsConn) error {
	tmpl := newFrameTemplate(h.op, HeaderSize, c.key)
	limit := time.Now().Add(10*time.Second + time.Duration(h.n)*time.Millisecond)
	var buf []byte
	for seq := uint64(0); ; seq++ {
		buf = tmpl.appendMessage(buf[:0], header{kind: kindProbe, seq: seq, sent: h.r.now()})
		if err := c.write(buf); err != nil {
			return fmt.Errorf("sending a probe: %w", err)
		}
		for range 20 {
			if h.joined.Load() == h.n {
				return nil
			}
			select {
			case <-time.After(5 * time.Millisecond):
			case <-ctx.Done():
				return fmt.Errorf("%d of %d subscribers received a probe: %w", h.joined.Load(), h.n, context.Cause(ctx))
			}
		}
		if time.Now().After(limit) {
			return fmt.Errorf("only %d of %d subscribers received a probe", h.joined.Load(), h.n)
		}
	}
}
