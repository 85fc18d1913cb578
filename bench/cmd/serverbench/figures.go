package main

import (
	"fmt"
	"time"

	"github.com/duplexrt/duplex/internal/loadgen"
)

// figure is one measurement of the benchmark, made for every testee.
type figure struct {
	key   string
	title string
	path  string // /echo or /broadcast
	cfg   loadgen.Config
	unit  string // of value
	// lower is true when a lower value is better (memory).
	lower bool
	// settle is the least time an idle figure waits before it reads the
	// server's memory.
	settle time.Duration
	// target, as issue 6 states it.
	target target
}

// target is what Duplex must reach on a figure.
type target struct {
	text string
	// ratio, when positive, is the least ratio of Duplex's value to the
	// best peer's (the best Go peer if goOnly).
	ratio  float64
	goOnly bool
	// most, when positive, is the highest value Duplex may have.
	most float64
	// p99, when positive, is the longest p99 round trip allowed.
	p99 time.Duration
	// fair asks that every connection be served: the least-served
	// connection gets at least half the mean.
	fair bool
}

// plan is the set of figures and how often to measure them.
type plan struct {
	runs    int
	figures []figure
	quick   bool
	// retryBudget is how long into the run disturbed measurements are
	// still made again, so that a busy machine cannot stretch the run
	// without end.
	retryBudget time.Duration
}

func makePlan(quick bool) plan {
	warmup, duration := time.Second, 4*time.Second
	idleConns, idleSettle := 15000, 3*time.Second
	runs := 3
	if quick {
		warmup, duration = 300*time.Millisecond, time.Second
		idleConns, idleSettle = 2000, time.Second
		runs = 1
	}
	base := loadgen.Config{Warmup: warmup, Duration: duration, Binary: true, LoopbackOnly: true}
	echo64 := base
	echo64.Conns, echo64.InFlight, echo64.Size = 100, 16, 64
	echo16k := base
	echo16k.Conns, echo16k.InFlight, echo16k.Size = 10, 16, 16<<10
	idle := loadgen.Config{Mode: loadgen.ModeIdle, Conns: idleConns, Duration: 2 * time.Minute, LoopbackOnly: true, DialConcurrency: 32}
	bcast := func(subs int) loadgen.Config {
		c := base
		c.Mode, c.Conns, c.Publishers, c.InFlight, c.Size = loadgen.ModeBroadcast, subs, 1, 16, 64
		return c
	}
	figs := []figure{
		{key: "echo64", title: "Echo, 64-byte messages, 100 connections × 16 in flight", path: "/echo", cfg: echo64, unit: "messages/s",
			target: target{text: "≥ 2× the best Go library, p99 ≤ 25 ms, every connection served", ratio: 2, goOnly: true, p99: 25 * time.Millisecond, fair: true}},
		{key: "echo16k", title: "Echo, 16 KiB messages, 10 connections × 16 in flight", path: "/echo", cfg: echo16k, unit: "messages/s",
			target: target{text: "≥ 1.2× the best Go library", ratio: 1.2, goOnly: true}},
		{key: "idle", title: fmt.Sprintf("Idle connections: server RSS per connection at %s connections", thousands(idleConns)), path: "/echo", cfg: idle,
			unit: "KiB per connection", lower: true, settle: idleSettle,
			target: target{text: "≤ 4 KiB per connection", most: 4}},
		{key: "bcast1k", title: "Broadcast of 64-byte messages to 1,000 subscribers", path: "/broadcast", cfg: bcast(1000), unit: "deliveries/s",
			target: target{text: "≥ 1.5× the best peer", ratio: 1.5}},
	}
	if !quick {
		figs = append(figs, figure{key: "bcast10k", title: "Broadcast of 64-byte messages to 10,000 subscribers", path: "/broadcast", cfg: bcast(10000),
			unit: "deliveries/s", target: target{text: "≥ 1.5× the best peer", ratio: 1.5}})
	}
	budget := 9 * time.Minute
	if quick {
		budget = 80 * time.Second
	}
	return plan{runs: runs, figures: figs, quick: quick, retryBudget: budget}
}

// thousands formats n with thousands separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
