package main

import (
	"time"

	"github.com/duplexrt/duplex/bench/internal/proc"
)

// waitQuiet waits until the machine's CPUs are busy for less than a
// tenth of a core over a second, at most limit, and reports whether
// they were.
func waitQuiet(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		b0, err := proc.BusyTicks()
		if err != nil {
			return true
		}
		time.Sleep(time.Second)
		b1, _ := proc.BusyTicks()
		if float64(b1-b0)/proc.ClockTicks < 0.1 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
