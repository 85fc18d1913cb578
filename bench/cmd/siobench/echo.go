package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/duplexrt/duplex/bench/internal/proc"
)

// echoConfig is the round-trip figure: every client emits "echo" with
// an acknowledgement, one at a time, the next as soon as the previous
// is acknowledged.
type echoConfig struct {
	clients         int
	payload         int // bytes of the string argument
	warmup, measure time.Duration
	drain           time.Duration // bound on the last acknowledgements' arrival
}

// echoRun is the state of one round-trip measurement.
type echoRun struct {
	cfg      echoConfig
	mon      *monitor
	base     time.Time // origin of the clients' timestamps
	phase    atomic.Int32
	acks     atomic.Int64 // acknowledgements verified
	inFlight atomic.Int64 // echoes sent and not yet acknowledged
}

// echoClient is the echo loop of one client, which runs on its read
// loop: each acknowledgement is verified, timed, and answered with the
// next echo.
type echoClient struct {
	run   *echoRun
	id    int
	seq   int64        // acknowledgement id of the echo in flight
	start atomic.Int64 // when it was sent, in ns since run.base
	lat   []time.Duration
	out   []byte // the next echo packet
	want  []byte // scratch for the expected acknowledgement
}

func (e *echoClient) event(c *client, p []byte) error {
	return fmt.Errorf("unexpected event %.100q", p)
}

func (e *echoClient) ack(c *client, p []byte) error {
	r := e.run
	now := time.Since(r.base)
	e.want = append(e.want[:0], "43"...)
	e.want = strconv.AppendInt(e.want, e.seq, 10)
	e.want = append(e.want, `["`...)
	e.want = appendPayload(e.want, 'e', e.id, e.seq, r.cfg.payload)
	e.want = append(e.want, `"]`...)
	if !bytes.Equal(p, e.want) {
		return fmt.Errorf("acknowledgement %.100q, want %q", p, e.want)
	}
	phase := r.phase.Load()
	if phase == phaseMeasure {
		e.lat = append(e.lat, now-time.Duration(e.start.Load()))
		r.acks.Add(1)
	}
	if phase == phaseDone {
		r.inFlight.Add(-1)
		return nil
	}
	e.seq++
	return e.send(c)
}

// send emits echo number e.seq.
func (e *echoClient) send(c *client) error {
	e.out = appendEcho(e.out[:0], e.id, e.seq, e.run.cfg.payload)
	e.start.Store(int64(time.Since(e.run.base)))
	return c.send(context.Background(), e.out)
}

// appendEcho appends the packet of echo number seq of client id.
func appendEcho(dst []byte, id int, seq int64, size int) []byte {
	dst = append(dst, "42"...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, `["echo","`...)
	dst = appendPayload(dst, 'e', id, seq, size)
	return append(dst, `"]`...)
}

// runEcho measures the round-trip figure against the testee t.
func runEcho(ctx context.Context, t *proc.Testee, cfg echoConfig) (sample, error) {
	if cfg.payload < payloadHead {
		return sample{}, fmt.Errorf("echo: payload under %d bytes", payloadHead)
	}
	r := &echoRun{cfg: cfg, mon: newMonitor(), base: time.Now()}
	clients, err := connectAll(ctx, t.Addr, cfg.clients, connectConcurrency, r.mon, func(id int) handler {
		// The read loop starts only after connect's own echo, which
		// takes acknowledgement id readyAck.
		return &echoClient{run: r, id: id, seq: readyAck + 1}
	})
	if err != nil {
		return sample{}, err
	}
	defer closeAll(clients, r.mon)
	r.inFlight.Store(int64(len(clients)))
	for _, c := range clients {
		// Each client's first echo leaves from here, the others from its
		// read loop; this touches none of the fields the read loop
		// writes, but start, which is atomic.
		e := c.h.(*echoClient)
		e.start.Store(int64(time.Since(r.base)))
		if err := c.send(ctx, appendEcho(nil, c.id, readyAck+1, cfg.payload)); err != nil {
			return sample{}, fmt.Errorf("echo: client %d: %w", c.id, err)
		}
	}
	m, err := measureWindow(ctx, r.mon, t.PID, cfg.warmup, cfg.measure, &r.phase, func() [2]int64 {
		return [2]int64{r.acks.Load()}
	})
	if err != nil {
		return sample{}, err
	}
	deadline := time.Now().Add(cfg.drain)
	for r.inFlight.Load() > 0 {
		if err := r.mon.Err(); err != nil {
			return sample{}, err
		}
		if time.Now().After(deadline) {
			return sample{}, fmt.Errorf("echo: %d echoes unacknowledged %v after the end: lost", r.inFlight.Load(), cfg.drain)
		}
		time.Sleep(5 * time.Millisecond)
	}
	var lat []time.Duration
	for _, c := range clients {
		lat = append(lat, c.h.(*echoClient).lat...)
	}
	if int64(len(lat)) != r.acks.Load() || len(lat) == 0 {
		return sample{}, fmt.Errorf("echo: %d round trips timed, %d acknowledged", len(lat), r.acks.Load())
	}
	slices.Sort(lat)
	return sample{
		Value:    m.rate(0),
		P50:      quantile(lat, 0.50),
		P90:      quantile(lat, 0.90),
		P99:      quantile(lat, 0.99),
		Max:      lat[len(lat)-1],
		CPU:      m.cpu,
		Messages: r.acks.Load(),
	}, r.mon.Err()
}

// quantile returns the q-quantile of sorted (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
