package loadgen

import (
	"context"
	"sync/atomic"
	"time"
)

// echoConn is a connection of the echo mode: a writer keeps InFlight
// messages in flight, the reader checks the echoes.
type echoConn struct {
	*wsConn
	tmpl         *frameTemplate
	op           byte
	inflight     atomic.Int64
	wake         chan struct{} // the reader took echoes: the writer may send
	measuredFrom firstMeasured

	// Owned by the reader.
	nextRecv uint64
	freed    int64 // echoes of this read, for batch
	measured int64
}

type echoHandler struct {
	r     *run
	conns []*echoConn
}

func (h *echoHandler) message(c *wsConn, op byte, p []byte, now int64) {
	r := h.r
	ec := h.conns[c.id]
	hd, v := r.chk.parse(p)
	switch {
	case v == payloadForeign:
		if r.cfg.AllowOther {
			r.other.Add(1)
			return
		}
		r.fail(errOther, "connection %d: a message of %d bytes that the load generator did not send", c.id, len(p))
		return
	case v == payloadCorrupt:
		r.fail(errCorrupt, "connection %d: checksum mismatch in a message of %d bytes", c.id, len(p))
		return
	case hd.kind != kindEcho || hd.stream != uint32(c.id):
		r.fail(errCorrupt, "connection %d: got the message of stream %d", c.id, hd.stream)
		return
	case len(p) != r.cfg.Size:
		r.fail(errCorrupt, "connection %d: echo of %d bytes, sent %d", c.id, len(p), r.cfg.Size)
	case op != ec.op:
		r.fail(errCorrupt, "connection %d: echo with opcode %d, sent %d", c.id, op, ec.op)
	}
	switch {
	case hd.seq < ec.nextRecv:
		r.fail(errOrder, "connection %d: message %d again or late, after %d", c.id, hd.seq, ec.nextRecv-1)
		return
	case hd.seq > ec.nextRecv:
		gap := int64(hd.seq - ec.nextRecv)
		r.failN(errLost, gap, "connection %d: messages %d to %d missing", c.id, ec.nextRecv, hd.seq-1)
		ec.freed += gap
	}
	ec.nextRecv = hd.seq + 1
	ec.freed++
	r.all.Add(1)
	if r.inMeasurement() && ec.measuredFrom.includes(hd.seq) {
		c.hist.record(now - hd.sent)
		ec.measured++
	}
}

func (h *echoHandler) batch(c *wsConn) {
	ec := h.conns[c.id]
	if ec.freed > 0 {
		ec.inflight.Add(-ec.freed)
		ec.freed = 0
		select {
		case ec.wake <- struct{}{}:
		default:
		}
	}
	if ec.measured > 0 {
		c.count += ec.measured
		h.r.received.Add(ec.measured)
		ec.measured = 0
	}
}

// writeLoop keeps the window full until sending stops.
func (ec *echoConn) writeLoop(r *run) {
	w := int64(r.cfg.InFlight)
	pace := pacer{}
	if r.cfg.Rate > 0 {
		pace.perSec = r.cfg.Rate / float64(r.cfg.Conns)
	}
	b := newBatch(ec.tmpl, int(min(w, 64)))
	var seq uint64
	var timer *time.Timer
	for {
		select {
		case <-r.stopSending:
			return
		default:
		}
		free := w - ec.inflight.Load()
		if free <= 0 {
			select {
			case <-ec.wake:
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
			ec.measuredFrom.mark(seq)
		}
		n = int64(r.take(int(n), measured))
		if n == 0 {
			<-r.stopSending
			return
		}
		b.reset()
		now := r.now()
		for range n {
			b.add(header{kind: kindEcho, stream: uint32(ec.id), seq: seq, sent: now})
			seq++
		}
		ec.inflight.Add(n)
		pace.sent += n
		if measured {
			r.sent.Add(n)
		}
		if err := b.send(ec.wsConn); err != nil {
			if !ec.closing.Load() {
				r.fail(errWrite, "connection %d: %v", ec.id, err)
			}
			return
		}
	}
}

func runEcho(ctx context.Context, r *run, rep *Report) ([]*wsConn, error) {
	bufSize := min(max(16*(r.cfg.Size+14), 4<<10), 1<<20)
	conns := r.dialAll(ctx, r.cfg.Conns, bufSize)
	rep.ConnectTime = time.Duration(r.now())
	if r.cfg.Opened != nil {
		r.cfg.Opened(len(conns))
	}
	if len(conns) == 0 {
		return nil, ErrNoConnections
	}
	op := byte(opText)
	if r.cfg.Binary {
		op = opBinary
	}
	h := &echoHandler{r: r}
	for _, c := range conns {
		h.conns = append(h.conns, &echoConn{
			wsConn: c,
			tmpl:   newFrameTemplate(op, r.cfg.Size, c.key),
			op:     op,
			wake:   make(chan struct{}, 1),
		})
	}
	wait := r.startReaders(conns, h, func(c *wsConn, err error) {
		// A connection that ended has nothing in flight any more.
		ec := h.conns[c.id]
		if n := ec.inflight.Swap(0); n > 0 {
			r.failN(errLost, n, "connection %d: %d messages unanswered when it ended", c.id, n)
		}
	})
	for _, ec := range h.conns {
		go ec.writeLoop(r)
	}
	inflight := func() int64 {
		var n int64
		for _, ec := range h.conns {
			n += ec.inflight.Load()
		}
		return n
	}
	done := func() bool { return inflight() == 0 }
	r.measure(ctx, done)
	r.drain(ctx, done)
	for _, ec := range h.conns {
		if n := ec.inflight.Load(); n > 0 {
			r.failN(errLost, n, "connection %d: %d messages unanswered %v after sending stopped", ec.id, n, r.cfg.DrainTimeout)
		}
	}
	r.closeAll(conns, wait)
	return conns, nil
}
