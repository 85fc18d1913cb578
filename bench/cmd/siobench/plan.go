package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/duplexrt/duplex/bench/internal/proc"
)

// A figure is one measurement, made against each testee.
type figure struct {
	key    string
	title  string        // for the report
	unit   string        // of sample.Value
	higher bool          // a higher Value is better
	limit  time.Duration // bound on one measurement, connections included
	run    func(ctx context.Context, t *proc.Testee) (sample, error)

	// snapshot is the figure to run instead when profiling for memory.
	snapshot *figure
}

// plan is what a run measures.
type plan struct {
	quick   bool
	runs    int
	bcast   broadcastConfig
	echo    echoConfig
	idle    []idleConfig
	figures []figure
}

// makePlan returns the full plan, or the quick one for development.
func makePlan(quick bool) plan {
	p := plan{
		quick: quick,
		runs:  3,
		bcast: broadcastConfig{clients: 1000, senders: 4, window: 8, payload: 64, warmup: time.Second, measure: 5 * time.Second, drain: 10 * time.Second},
		echo:  echoConfig{clients: 1000, payload: 32, warmup: time.Second, measure: 5 * time.Second, drain: 10 * time.Second},
		idle: []idleConfig{
			{clients: 1000, before: 2 * time.Second, settle: 5 * time.Second},
			{clients: 10000, before: 2 * time.Second, settle: 5 * time.Second},
		},
	}
	if quick {
		p.runs = 1
		p.bcast.warmup, p.bcast.measure = 300*time.Millisecond, time.Second
		p.echo.warmup, p.echo.measure = 300*time.Millisecond, time.Second
		p.idle = []idleConfig{{clients: 1000, before: time.Second, settle: 2 * time.Second}}
	}
	bc, ec := p.bcast, p.echo
	p.figures = []figure{{
		key:    "bcast",
		title:  fmt.Sprintf("broadcast to a room of %s clients (%d senders × %d in flight, %d B)", thousands(bc.clients), bc.senders, bc.window, bc.payload),
		unit:   "events/s",
		higher: true,
		limit:  2*time.Minute + bc.warmup + bc.measure,
		run:    func(ctx context.Context, t *proc.Testee) (sample, error) { return runBroadcast(ctx, t, bc) },
	}, {
		key:    "echo",
		title:  fmt.Sprintf("echo with acknowledgement, %s clients, one in flight each (%d B)", thousands(ec.clients), ec.payload),
		unit:   "acks/s",
		higher: true,
		limit:  2*time.Minute + ec.warmup + ec.measure,
		run:    func(ctx context.Context, t *proc.Testee) (sample, error) { return runEcho(ctx, t, ec) },
	}}
	for _, ic := range p.idle {
		fig := figure{
			key:   "idle" + shortCount(ic.clients),
			title: fmt.Sprintf("memory per connected client, %s idle clients", thousands(ic.clients)),
			unit:  "KiB/client",
			limit: 3*time.Minute + ic.before + ic.settle,
			run:   func(ctx context.Context, t *proc.Testee) (sample, error) { return runIdle(ctx, t, ic) },
		}
		snap := fig
		snap.run = func(ctx context.Context, t *proc.Testee) (sample, error) {
			ic := ic
			ic.snapshot = true
			return runIdle(ctx, t, ic)
		}
		fig.snapshot = &snap
		p.figures = append(p.figures, fig)
	}
	return p
}

// figureKeys lists the figures of the full plan.
func figureKeys() []string {
	var keys []string
	for _, f := range makePlan(false).figures {
		keys = append(keys, f.key)
	}
	return keys
}

// selectFigures keeps the figures named in the comma-separated list.
func selectFigures(all []figure, list string) []figure {
	var keep []figure
	for _, f := range all {
		if strings.Contains(","+list+",", ","+f.key+",") {
			keep = append(keep, f)
		}
	}
	return keep
}

// summary is one line for the progress log.
func (s sample) summary(fig figure) string {
	if s.Failed != "" {
		return "FAILED: " + s.Failed
	}
	switch fig.key {
	case "bcast":
		return fmt.Sprintf("%s events/s, %s broadcasts/s, CPU server %.2f load %.2f other %.2f", thousands(int(s.Value)), thousands(int(s.Broadcasts)), s.CPU.Server, s.CPU.Load, s.CPU.Other)
	case "echo":
		return fmt.Sprintf("%s acks/s, p50 %v p90 %v p99 %v max %v, CPU server %.2f load %.2f other %.2f", thousands(int(s.Value)), roundDur(s.P50), roundDur(s.P90), roundDur(s.P99), roundDur(s.Max), s.CPU.Server, s.CPU.Load, s.CPU.Other)
	}
	return fmt.Sprintf("%.2f KiB/client (RSS %d KiB -> %d KiB)", s.Value, s.RSSBefore, s.RSSAfter)
}

// shortCount writes 1000 as 1k.
func shortCount(n int) string {
	if n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// thousands writes n with thousands separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// roundDur rounds d to three significant digits or so.
func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
