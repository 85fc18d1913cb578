package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/duplexrt/duplex/bench/internal/machine"
)

// The goals of the comparison, Duplex against Node.js socket.io.
const (
	goalThroughput = 5.0  // at least this many times Node's broadcast events/s
	goalMemory     = 0.25 // at most this fraction of Node's memory per client
)

// stats are the medians of a figure's runs for one testee.
type stats struct {
	runs, failed int
	value        float64
	broadcasts   float64
	p50, p90     time.Duration
	p99, max     time.Duration
	cpu          cpuUse
	values       []float64 // every run's value, in run order
	failures     []string
}

// summarize takes the medians of the samples that did not fail.
func summarize(ss []sample) stats {
	st := stats{runs: len(ss)}
	var v, bc, cs, cl, co []float64
	var p50, p90, p99, mx []time.Duration
	for _, s := range ss {
		if s.Failed != "" {
			st.failed++
			st.failures = append(st.failures, s.Failed)
			continue
		}
		st.values = append(st.values, s.Value)
		v, bc = append(v, s.Value), append(bc, s.Broadcasts)
		cs, cl, co = append(cs, s.CPU.Server), append(cl, s.CPU.Load), append(co, s.CPU.Other)
		p50, p90, p99, mx = append(p50, s.P50), append(p90, s.P90), append(p99, s.P99), append(mx, s.Max)
	}
	st.value, st.broadcasts = median(v), median(bc)
	st.cpu = cpuUse{Server: median(cs), Load: median(cl), Other: median(co)}
	st.p50, st.p90, st.p99, st.max = median(p50), median(p90), median(p99), median(mx)
	return st
}

// ok reports whether some run succeeded.
func (st stats) ok() bool { return st.runs > st.failed }

// median returns the median of v (the mean of the middle two for an
// even count), or zero for none.
func median[T float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// stats returns the summary of a figure for a testee.
func (b *bench) stats(key, testee string) stats { return summarize(b.res[key][testee]) }

// markdown returns the section of RESULTS.md, without its markers.
func (b *bench) markdown() string {
	var w strings.Builder
	p := b.plan
	fmt.Fprintf(&w, "## Socket.IO servers: Duplex and Node.js socket.io (`make bench-socketio`)\n\n")
	fmt.Fprintf(&w, "*This section is written by `bench/cmd/siobench`; the other programs leave it alone.*\n\n")
	if p.quick {
		fmt.Fprintf(&w, "> **Quick mode** (`BENCH_QUICK=1`): one short run of smaller figures, for development only.\n\n")
	}
	fmt.Fprintf(&w, "### Machine\n\n| | |\n| --- | --- |\n")
	fmt.Fprintf(&w, "| CPU | %s |\n", machine.CPUModel())
	fmt.Fprintf(&w, "| Cores (nproc) | %d |\n", runtime.NumCPU())
	if k, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		fmt.Fprintf(&w, "| Kernel | Linux %s |\n", strings.TrimSpace(string(k)))
	}
	fmt.Fprintf(&w, "| Go | %s |\n", machine.Command(b.dir, "go", "version"))
	fmt.Fprintf(&w, "| Node.js | %s |\n", machine.Command(b.dir, "node", "--version"))
	fmt.Fprintf(&w, "| Servers | %s |\n", b.versions())
	fmt.Fprintf(&w, "| Date | %s |\n", b.start.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&w, "| Run | %s of every figure in %v |\n\n", plural(p.runs, "run"), b.elapsed.Round(time.Second))

	b.writeMethod(&w)
	b.writeSummary(&w)
	b.writeRuns(&w)
	return w.String()
}

func (b *bench) writeMethod(w *strings.Builder) {
	p := b.plan
	pin := "Each measurement starts a fresh server pinned to CPU 0 (`taskset -c 0`); the load generator runs pinned to CPU 1 (GOMAXPROCS 1)."
	if !b.pinned {
		pin = "**The server and the load generator were not pinned to separate CPUs** (no taskset)."
	}
	fmt.Fprintf(w, "### Method\n\n")
	fmt.Fprintf(w, "Two servers with one contract (`bench/siotestee/duplex`, Duplex's `socketio` package with its defaults; `bench/node/sio-server.js`, socket.io with its defaults, `perMessageDeflate` off): "+
		"every client joins the room `bench`, `echo` is acknowledged with its arguments, `broadcast` goes to the room, sender included (`io.to(\"bench\").emit` and `io.To(\"bench\").Emit`). "+
		"The load generator (`bench/cmd/siobench`) speaks Socket.IO v5 over Engine.IO v4's WebSocket transport directly, with Duplex's WebSocket client, "+
		"and verifies every message: each payload names its sender and sequence number and is compared byte for byte, every client must get every broadcast of every sender in order, "+
		"every echo must be acknowledged with its own payload; a run with a message lost, damaged or reordered, or a client dropped, counts as failed. %s "+
		"The figures are measured for each server in turn, %s; the tables give the medians.\n\n", pin, plural(p.runs, "time"))
	fmt.Fprintf(w, "- **Broadcast**: %s clients connected; %d of them emit `broadcast` with a %d-byte string, each keeping %d broadcasts in flight, "+
		"a broadcast being in flight until every client has received it, so that no client ever has more than %d queued. "+
		"*events/s* counts `broadcast-back` events received by all clients over %v after %v of warm-up; *broadcasts/s* counts broadcasts that reached every client.\n",
		thousands(p.bcast.clients), p.bcast.senders, p.bcast.payload, p.bcast.window, p.bcast.senders*p.bcast.window, p.bcast.measure, p.bcast.warmup)
	fmt.Fprintf(w, "- **Round trip**: %s clients each emit `echo` (a %d-byte string) with an acknowledgement, one at a time, the next as soon as the previous is answered; "+
		"the latencies are those of every acknowledgement of the %v window after %v of warm-up. With one echo in flight per client, the latency is mostly the time the server takes for the other clients' echoes.\n",
		thousands(p.echo.clients), p.echo.payload, p.echo.measure, p.echo.warmup)
	var idle []string
	for _, ic := range p.idle {
		idle = append(idle, thousands(ic.clients))
	}
	settle := time.Duration(0)
	if len(p.idle) > 0 {
		settle = p.idle[0].settle
	}
	fmt.Fprintf(w, "- **Memory**: the server's VmRSS before any client, and after %s clients have connected (WebSocket, main namespace, room joined, one echo answered) and idled for %v; "+
		"the growth divided by the clients.\n\n", strings.Join(idle, " or "), settle)
	fmt.Fprintf(w, "*CPU* gives the cores used during the measuring window by the server, by the load generator and by everything else on the machine (1.00 is one core busy all the time).\n\n")
}

// writeSummary writes the table of medians and ratios and the verdicts.
func (b *bench) writeSummary(w *strings.Builder) {
	fmt.Fprintf(w, "### Results (medians)\n\n")
	fmt.Fprintf(w, "| figure | Duplex | Node.js socket.io | Duplex ÷ Node |\n| --- | ---: | ---: | ---: |\n")
	for _, fig := range b.plan.figures {
		d, n := b.stats(fig.key, "duplex"), b.stats(fig.key, "node")
		row := func(label string, dv, nv float64, format func(float64) string) {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", label, cell(d, dv, format), cell(n, nv, format), ratioCell(d, n, dv, nv))
		}
		count := func(v float64) string { return thousands(int(v + 0.5)) }
		ms := func(v float64) string { return fmt.Sprintf("%.2f ms", v/1e6) }
		switch fig.key {
		case "bcast":
			row(fig.title+": events/s", d.value, n.value, count)
			row("… broadcasts/s", d.broadcasts, n.broadcasts, count)
			row("… CPU: server / load generator / other", 0, 0, nil)
		case "echo":
			row(fig.title+": acks/s", d.value, n.value, count)
			row("… round trip p50", float64(d.p50), float64(n.p50), ms)
			row("… p90", float64(d.p90), float64(n.p90), ms)
			row("… p99", float64(d.p99), float64(n.p99), ms)
			row("… max", float64(d.max), float64(n.max), ms)
			row("… CPU: server / load generator / other", 0, 0, nil)
		default:
			row(fig.title+": KiB/client", d.value, n.value, func(v float64) string { return fmt.Sprintf("%.1f", v) })
		}
	}
	fmt.Fprintf(w, "\n")
	b.writeVerdicts(w)
}

// cell writes a median, or the CPU use when format is nil.
func cell(st stats, v float64, format func(float64) string) string {
	switch {
	case st.runs == 0:
		return "–"
	case !st.ok():
		return "failed"
	case format == nil:
		return fmt.Sprintf("%.2f / %.2f / %.2f", st.cpu.Server, st.cpu.Load, st.cpu.Other)
	}
	s := format(v)
	if st.failed > 0 {
		s += fmt.Sprintf(" (%d of %d runs failed)", st.failed, st.runs)
	}
	return s
}

// ratioCell writes Duplex's value divided by Node's.
func ratioCell(d, n stats, dv, nv float64) string {
	if !d.ok() || !n.ok() || nv == 0 || (dv == 0 && nv == 0) {
		return ""
	}
	return fmt.Sprintf("%.2f", dv/nv)
}

// writeVerdicts says whether the goals are met.
func (b *bench) writeVerdicts(w *strings.Builder) {
	fmt.Fprintf(w, "Goals: at least %.0f× Node's throughput (broadcast events/s), at most %.0f %% of its memory per client.\n\n", goalThroughput, goalMemory*100)
	for _, fig := range b.plan.figures {
		d, n := b.stats(fig.key, "duplex"), b.stats(fig.key, "node")
		if fig.key == "echo" {
			continue
		}
		if !d.ok() || !n.ok() || n.value == 0 {
			fmt.Fprintf(w, "- %s: **not measured** (a server failed every run).\n", fig.title)
			continue
		}
		r := d.value / n.value
		if fig.key == "bcast" {
			met := r >= goalThroughput
			fmt.Fprintf(w, "- Throughput: Duplex delivers %.2f× Node's events per second: %s.", r, verdict(met))
			if d.cpu.Load >= 0.9 {
				fmt.Fprintf(w, " The load generator used %.2f of its core during Duplex's runs, so Duplex's figure is a lower bound: the load generator, not the server, may be the limit.", d.cpu.Load)
			}
			fmt.Fprintf(w, "\n")
			continue
		}
		met := r <= goalMemory
		fmt.Fprintf(w, "- Memory (%s): Duplex holds %.1f KiB per client, Node %.1f KiB: %.0f %% of Node's, %s.\n", fig.title, d.value, n.value, r*100, verdict(met))
	}
	fmt.Fprintf(w, "\n")
}

func verdict(met bool) string {
	if met {
		return "**goal met**"
	}
	return "**goal not met**"
}

// writeRuns writes every run's figure, for the spread.
func (b *bench) writeRuns(w *strings.Builder) {
	fmt.Fprintf(w, "### Every run\n\n| figure | server | runs, in order | spread |\n| --- | --- | --- | ---: |\n")
	for _, fig := range b.plan.figures {
		for _, name := range b.testees {
			st := b.stats(fig.key, name)
			var vs []string
			for _, s := range b.res[fig.key][name] {
				if s.Failed != "" {
					vs = append(vs, "failed")
				} else if fig.unit == "KiB/client" {
					vs = append(vs, fmt.Sprintf("%.1f", s.Value))
				} else {
					vs = append(vs, thousands(int(s.Value+0.5)))
				}
			}
			spread := ""
			if len(st.values) > 1 && st.value != 0 {
				spread = fmt.Sprintf("%.0f %%", (slices.Max(st.values)-slices.Min(st.values))/st.value*100)
			}
			fmt.Fprintf(w, "| %s (%s) | %s | %s | %s |\n", fig.key, fig.unit, name, strings.Join(vs, ", "), spread)
		}
	}
	fmt.Fprintf(w, "\n*spread* is (max − min) ÷ median. The raw samples are in `siobench.json`.\n")
	for _, fig := range b.plan.figures {
		for _, name := range b.testees {
			for i, f := range b.stats(fig.key, name).failures {
				fmt.Fprintf(w, "\n- Failure %d of %s on %s: %s\n", i+1, fig.key, name, f)
			}
		}
	}
}

// versions names the servers compared.
func (b *bench) versions() string {
	duplex := "Duplex `socketio` (this repository"
	if rev := machine.Command(b.dir, "git", "rev-parse", "--short", "HEAD"); !strings.HasPrefix(rev, "(") {
		duplex += " at " + rev
		if st := machine.Command(filepath.Dir(b.dir), "git", "status", "--porcelain", "--untracked-files=no", "--", "websocket", "engineio", "socketio"); st != "" {
			duplex += ", with uncommitted changes in websocket/, engineio/ or socketio/"
		}
	}
	list := []string{duplex + ")"}
	if v := machine.NPMVersion(b.dir, "socket.io"); v != "" {
		s := "npm socket.io " + v
		if e := machine.NPMVersion(b.dir, "engine.io"); e != "" {
			s += " (engine.io " + e + ")"
		}
		list = append(list, s)
	}
	return strings.Join(list, ", ")
}

// plural writes n and word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
