package main

import (
	"context"
	"sync/atomic"
	"time"
)

// Phases of a measured run, in order.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseDone
)

// measured is what measureWindow saw between the start and the end of
// the measurement.
type measured struct {
	elapsed time.Duration
	deltas  [2]int64 // growth of the counters
	cpu     cpuUse
}

// rate returns counter i's growth per second.
func (m measured) rate(i int) float64 { return float64(m.deltas[i]) / m.elapsed.Seconds() }

// measureWindow lets the load run for warmup, then measures for measure:
// the growth of the counters and the CPU used by the server pid, this
// process and the rest of the machine. phase, if not nil, follows the
// phases. A failure of the run ends it early with the failure.
func measureWindow(ctx context.Context, mon *monitor, pid int, warmup, measure time.Duration, phase *atomic.Int32, counters func() [2]int64) (measured, error) {
	wait := func(d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-mon.failed:
			return mon.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := wait(warmup); err != nil {
		return measured{}, err
	}
	if phase != nil {
		phase.Store(phaseMeasure)
	}
	c0, cpu0, t0 := counters(), readCPU(pid), time.Now()
	err := wait(measure)
	c1, cpu1, t1 := counters(), readCPU(pid), time.Now()
	if phase != nil {
		phase.Store(phaseDone)
	}
	if err != nil {
		return measured{}, err
	}
	m := measured{elapsed: t1.Sub(t0), cpu: cpu1.since(cpu0, t1.Sub(t0))}
	for i := range c0 {
		m.deltas[i] = c1[i] - c0[i]
	}
	return m, nil
}
