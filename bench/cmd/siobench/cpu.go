package main

import (
	"time"

	"github.com/duplexrt/duplex/bench/internal/proc"
)

// cpuTimes is a reading of the CPU time used so far, in ticks.
type cpuTimes struct {
	server, self, busy int64
	ok                 bool // every file could be read
}

// cpuUse is CPU used over a measurement, in cores (1.0 is one CPU busy
// all the time).
type cpuUse struct {
	Server float64 `json:"server_cpu"`
	Load   float64 `json:"load_cpu"`  // this process, the load generator
	Other  float64 `json:"other_cpu"` // the rest of the machine
}

// readCPU reads the CPU time of process pid, of this process and of the
// whole machine (all but idle and iowait).
func readCPU(pid int) cpuTimes {
	var t cpuTimes
	var err1, err2, err3 error
	t.server, err1 = proc.CPUTicks(pid)
	t.self, err2 = proc.CPUTicks(0)
	t.busy, err3 = proc.BusyTicks()
	t.ok = err1 == nil && err2 == nil && err3 == nil
	return t
}

// since returns the CPU used between t0 and t, elapsed apart.
func (t cpuTimes) since(t0 cpuTimes, elapsed time.Duration) cpuUse {
	if !t.ok || !t0.ok || elapsed <= 0 {
		return cpuUse{}
	}
	cores := func(ticks int64) float64 { return float64(ticks) / proc.ClockTicks / elapsed.Seconds() }
	srv, self := t.server-t0.server, t.self-t0.self
	return cpuUse{Server: cores(srv), Load: cores(self), Other: max(0, cores(t.busy-t0.busy-srv-self))}
}
