package loadgen

import (
	"context"
	"time"
)

// idleHandler counts whatever arrives on an idle connection.
type idleHandler struct{ r *run }

func (h idleHandler) message(c *wsConn, op byte, p []byte, now int64) {
	if h.r.cfg.AllowOther {
		h.r.other.Add(1)
		return
	}
	h.r.fail(errOther, "connection %d: a message of %d bytes on an idle connection", c.id, len(p))
}

func (idleHandler) batch(*wsConn) {}

func runIdle(ctx context.Context, r *run, rep *Report) ([]*wsConn, error) {
	conns := r.dialAll(ctx, r.cfg.Conns, 512)
	rep.ConnectTime = time.Duration(r.now())
	if len(conns) == 0 {
		if r.cfg.Opened != nil {
			r.cfg.Opened(0)
		}
		return nil, ErrNoConnections
	}
	wait := r.startReaders(conns, idleHandler{r}, nil)
	if r.cfg.Opened != nil {
		r.cfg.Opened(len(conns))
	}
	r.measureStart.Store(r.now())
	r.phase.Store(phaseMeasure)
	r.measuring(true)
	t := time.NewTimer(r.cfg.Duration)
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-r.cfg.Release:
	}
	t.Stop()
	r.measureEnd.Store(r.now())
	r.measuring(false)
	rep.Duration = time.Duration(r.measureEnd.Load() - r.measureStart.Load())
	r.closeAll(conns, wait)
	return conns, nil
}
