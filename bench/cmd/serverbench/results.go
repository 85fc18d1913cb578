package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/duplexrt/duplex/bench/internal/machine"
	"github.com/duplexrt/duplex/bench/internal/proc"
)

// stats summarizes the runs of one testee on one figure: every field is
// the median over the runs that succeeded.
type stats struct {
	runs, failed int
	value        float64
	spread       float64 // (max-min)/median of value
	p50, p99     time.Duration
	connMin      float64
	connMax      float64
	connMean     float64
	serverCPU    float64
	loadCPU      float64
	otherCPU     float64
	disturbed    int
	rssBefore    float64
	rssAfter     float64
	opened       float64
	errors       int64 // over all runs
	errorText    []string
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func summarizeRuns(samples []sample) stats {
	var st stats
	var values, p50, p99, cmin, cmax, cmean, scpu, lcpu, ocpu, before, after, opened []float64
	for _, s := range samples {
		st.runs++
		if s.Failed != "" {
			st.failed++
			st.errorText = append(st.errorText, s.Failed)
			continue
		}
		st.errors += s.Errors
		if s.Disturbed {
			st.disturbed++
		}
		ocpu = append(ocpu, s.OtherCPU)
		if len(st.errorText) < 3 {
			st.errorText = append(st.errorText, s.ErrorText...)
		}
		values = append(values, s.Value)
		p50 = append(p50, float64(s.P50))
		p99 = append(p99, float64(s.P99))
		cmin = append(cmin, float64(s.ConnMin))
		cmax = append(cmax, float64(s.ConnMax))
		cmean = append(cmean, s.ConnMean)
		scpu = append(scpu, s.ServerCPU)
		lcpu = append(lcpu, s.LoadCPU)
		before = append(before, float64(s.RSSBefore))
		after = append(after, float64(s.RSSAfter))
		opened = append(opened, float64(s.Opened))
	}
	st.value = median(values)
	if st.value != 0 && len(values) > 1 {
		st.spread = (slices.Max(values) - slices.Min(values)) / st.value
	}
	st.p50, st.p99 = time.Duration(median(p50)), time.Duration(median(p99))
	st.connMin, st.connMax, st.connMean = median(cmin), median(cmax), median(cmean)
	st.serverCPU, st.loadCPU, st.otherCPU = median(scpu), median(lcpu), median(ocpu)
	st.rssBefore, st.rssAfter, st.opened = median(before), median(after), median(opened)
	return st
}

// ok reports whether the testee has a figure to compare: a run that
// succeeded without errors.
func (st stats) ok() bool { return st.runs > st.failed && st.errors == 0 }

// better reports whether a is better than b on fig.
func better(fig figure, a, b float64) bool {
	if fig.lower {
		return a < b
	}
	return a > b
}

// best returns the best peer of Duplex on fig (a Go library if goOnly)
// and its stats.
func (b *bench) best(fig figure, goOnly bool) (string, stats, bool) {
	var name string
	var bst stats
	for _, t := range b.testees {
		if t == reference || (goOnly && !goTestees[t]) {
			continue
		}
		st := summarizeRuns(b.res[fig.key][t])
		if !st.ok() {
			continue
		}
		if name == "" || better(fig, st.value, bst.value) {
			name, bst = t, st
		}
	}
	return name, bst, name != ""
}

// ratioText describes Duplex's value against a peer's.
func ratioText(fig figure, duplex, peer float64) string {
	if duplex == 0 || peer == 0 {
		return "–"
	}
	if fig.lower {
		r := peer / duplex
		if r >= 1 {
			return fmt.Sprintf("%.2f× leaner", r)
		}
		return fmt.Sprintf("%.2f× bigger", 1/r)
	}
	r := duplex / peer
	return fmt.Sprintf("%.2f×", r)
}

// verdict says whether Duplex meets the figure's target, and why not.
func (b *bench) verdict(fig figure) (met bool, why string) {
	d := summarizeRuns(b.res[fig.key][reference])
	if !d.ok() {
		return false, "Duplex had errors or failed runs"
	}
	var misses []string
	t := fig.target
	if t.ratio > 0 {
		name, peer, ok := b.best(fig, t.goOnly)
		if !ok {
			return false, "no peer to compare with"
		}
		if r := d.value / peer.value; r < t.ratio {
			misses = append(misses, fmt.Sprintf("%.2f× %s, not %.1f×", r, name, t.ratio))
		}
	}
	if t.most > 0 && d.value > t.most {
		misses = append(misses, fmt.Sprintf("%.2f %s, more than %g", d.value, fig.unit, t.most))
	}
	if t.p99 > 0 && d.p99 > t.p99 {
		misses = append(misses, fmt.Sprintf("p99 %v, over %v", roundDur(d.p99), t.p99))
	}
	if t.fair && d.connMin < d.connMean/2 {
		misses = append(misses, fmt.Sprintf("least-served connection %.0f messages, under half the mean %.0f", d.connMin, d.connMean))
	}
	if len(misses) > 0 {
		return false, strings.Join(misses, "; ")
	}
	return true, ""
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

func (b *bench) versions() string {
	duplex := "duplex (this repository"
	if rev := machine.Command(b.dir, "git", "rev-parse", "--short", "HEAD"); !strings.HasPrefix(rev, "(") {
		duplex += " at " + rev
		if st := machine.Command(filepath.Dir(b.dir), "git", "status", "--porcelain", "--untracked-files=no", "--", "websocket"); st != "" {
			duplex += ", websocket/ modified"
		}
	}
	list := []string{duplex + ")"}
	out := machine.Command(b.dir, "go", "list", "-m", "github.com/gorilla/websocket", "github.com/lxzan/gws", "github.com/gobwas/ws", "github.com/coder/websocket")
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			list = append(list, l)
		}
	}
	if v := machine.NPMVersion(b.dir, "ws"); v != "" {
		ws := "npm ws " + v
		if bu := machine.NPMVersion(b.dir, "bufferutil"); bu != "" {
			ws += " with bufferutil " + bu
		}
		list = append(list, ws)
	}
	return strings.Join(list, ", ")
}

// markdown returns the section of RESULTS.md, without its markers.
func (b *bench) markdown() string {
	var w strings.Builder
	p := b.plan
	fmt.Fprintf(&w, "## Whole servers under load (`bench/run`)\n\n")
	fmt.Fprintf(&w, "*This section is written by `bench/cmd/serverbench` (run by `make bench`, or `bench/run`); "+
		"the sections above come from `cmd/report`, and each program regenerates only its own part.*\n\n")
	if p.quick {
		fmt.Fprintf(&w, "> **Quick mode** (`BENCH_QUICK=1`): one short run of smaller figures, for development only; "+
			"the targets are judged against them all the same.\n\n")
	}
	fmt.Fprintf(&w, "### Machine\n\n| | |\n| --- | --- |\n")
	fmt.Fprintf(&w, "| CPU | %s |\n", machine.CPUModel())
	fmt.Fprintf(&w, "| Cores (nproc) | %d |\n", runtime.NumCPU())
	if k, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		fmt.Fprintf(&w, "| Kernel | Linux %s |\n", strings.TrimSpace(string(k)))
	}
	fmt.Fprintf(&w, "| Go | %s |\n", machine.Command(b.dir, "go", "version"))
	fmt.Fprintf(&w, "| Node.js | %s |\n", machine.Command(b.dir, "node", "--version"))
	fmt.Fprintf(&w, "| Libraries | %s |\n", b.libs)
	fmt.Fprintf(&w, "| Date | %s |\n", b.date.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&w, "| Run | %s of every figure in %v; load average (1, 5, 15 min) %s before, %s after; "+
		"%s made again because other processes used the CPUs meanwhile |\n\n",
		plural(p.runs, "run"), b.elapsed.Round(time.Second), b.loadBefore, b.loadAfter, plural(b.retries, "measurement"))

	b.writeMethod(&w)
	b.writeTargets(&w)
	for _, fig := range p.figures {
		b.writeFigure(&w, fig)
	}
	if notes, err := os.ReadFile(filepath.Join(b.dir, "serverbench-notes.md")); err == nil {
		fmt.Fprintf(&w, "%s\n", strings.TrimSpace(string(notes)))
	}
	return w.String()
}

func (b *bench) writeMethod(w *strings.Builder) {
	p := b.plan
	pin := "The testee runs pinned to CPU 0 (`taskset -c 0`) and the load generator to CPU 1 (`taskset -c 1`), so " +
		"that each has one core of its own; the Go testees therefore run with GOMAXPROCS=1."
	if proc.TasksetPath == "" {
		pin = "taskset was not found: the testee and the load generator were **not** pinned to separate CPUs."
	}
	var cfg0 = p.figures[0].cfg
	fmt.Fprintf(w, "### Method\n\n")
	rounds := fmt.Sprintf("then the whole round again, %d times in all; every number below is the **median of the %d runs**, "+
		"and *spread* is (max − min) / median of the runs' values.", p.runs, p.runs)
	if p.runs == 1 {
		rounds = "once: every number below comes from a single run."
	}
	fmt.Fprintf(w, "Each measurement starts a fresh testee process (`bench/bin/NAME --port PORT`, built by `make bench-build`; "+
		"see `bench/internal/testee` for the contract and each `bench/testee/NAME/main.go` and `bench/node/server.js` for how "+
		"each library is used) and a fresh load generator process. %s The figures are measured for every testee in turn, %s\n\n",
		pin, rounds)
	fmt.Fprintf(w, "The load generator is `internal/loadgen`, a WebSocket client of its own that shares no code with any "+
		"library under test: raw TCP, the handshake written by hand, frames masked once per connection and reused, "+
		"a window of messages in flight per connection, one reader per connection parsing frames from its own buffer. "+
		"Every message carries its connection (or publisher), a sequence number, its send time and a CRC-32C, and every "+
		"one that comes back is checked: a run with a lost, corrupted, duplicated or reordered message counts as "+
		"failed, and so does one whose server negotiated an extension. It refuses targets outside the loopback range. "+
		"Messages are binary, so that UTF-8 validation (which not every library does) stays out of the comparison. "+
		"Echo and broadcast runs warm up for %v and then measure for %v. *Server CPU* and *load CPU* are the shares of "+
		"its core that the testee and the load generator used during the measurement: a server at 100 %% is the "+
		"bottleneck, a load generator near 100 %% would mean the figure understates the server. *Others* is the CPU "+
		"that all other processes of the machine used meanwhile, as a share of one core: this is a shared machine, so a measurement "+
		"during which others used more than %.0f %% of a core is made again once the machine is quiet, up to %d times "+
		"in all, and only in the first %v of the run (a figure still disturbed after that is marked).\n\n",
		cfg0.Warmup, cfg0.Duration, 100*maxOther, attempts, p.retryBudget)
	fmt.Fprintf(w, "- **Echo**: every connection keeps its window of messages in flight and sends a new one for each echo; "+
		"the figure is echoes per second; p99 is the round trip under that load; *per connection* gives the fewest and "+
		"most echoes any single connection got, which shows whether a server serves its connections fairly.\n")
	fmt.Fprintf(w, "- **Idle**: the load generator opens the connections to `/echo` (32 handshakes at a time) and holds them "+
		"without sending; the testee's resident set (`VmRSS` of `/proc/PID/status`) is read before the first connection "+
		"and, after the last one opened, once it has settled (at least %v, then until two readings half a second apart "+
		"differ by less than 1 %%); the figure is the difference divided by the number of connections. It is what the "+
		"process holds, Go's heap and stacks with the garbage collector's default headroom (or V8's heap), not the "+
		"kernel's socket buffers.\n", b.idleSettle())
	fmt.Fprintf(w, "- **Broadcast**: every subscriber connects to `/broadcast`; once each has received a probe (so that the "+
		"server has registered it), one of them publishes 64-byte messages, keeping 16 in flight, a message counting "+
		"as in flight until every subscriber, the publisher included, has received it. The figure is deliveries per "+
		"second, a delivery being one message arriving at one subscriber; every subscriber must receive every "+
		"message, in order.\n\n")
	fmt.Fprintf(w, "All testees run with their library's defaults but for compression, which is off everywhere, and a "+
		"16 MiB read limit. Every Go testee hands each connection to a goroutine of its own (or to the library's "+
		"read loop) and lets the HTTP handler return. For broadcast, Duplex prepares each message once "+
		"(`NewPreparedMessage`) and `Enqueue`s it for every subscriber, dropping with 1008 a subscriber whose queue "+
		"(1 MiB by default) is full; gorilla prepares it once too and queues it on a channel of %d messages per "+
		"subscriber drained by a write goroutine (`WritePreparedMessage`), as its chat example does; gobwas compiles "+
		"the frame once (`ws.CompileFrame`) and queues the bytes the same way; coder queues the message the same way "+
		"and writes it with `Write`; gws uses its `Broadcaster` (one frame, each connection's own write queue, which "+
		"has no limit); Node's `ws` calls `send` for every client, as its README's broadcast example does, and closes "+
		"a client with more than 1 MiB buffered.", 256)
	if len(b.missing) > 0 {
		fmt.Fprintf(w, " Left out of this run because they were not built: %s.", strings.Join(b.missing, ", "))
	}
	fmt.Fprintf(w, "\n\n")
}

func (b *bench) idleSettle() time.Duration {
	for _, f := range b.plan.figures {
		if f.lower {
			return f.settle
		}
	}
	return 0
}

func (b *bench) writeTargets(w *strings.Builder) {
	fmt.Fprintf(w, "### Targets of issue 6\n\n")
	fmt.Fprintf(w, "Duplex against the best peer measured in this run (the best Go library where the target says so).\n\n")
	fmt.Fprintf(w, "| figure | target | Duplex | best peer | ratio | met |\n| --- | --- | ---: | ---: | ---: | --- |\n")
	for _, fig := range b.plan.figures {
		d := summarizeRuns(b.res[fig.key][reference])
		peerText, ratio := "–", "–"
		if name, peer, ok := b.best(fig, fig.target.goOnly); ok {
			peerText = fmt.Sprintf("%s %s", name, valueText(fig, peer.value))
			ratio = ratioText(fig, d.value, peer.value)
		}
		dText := valueText(fig, d.value)
		if fig.target.p99 > 0 {
			dText += fmt.Sprintf(", p99 %v, per connection %.0f to %.0f", roundDur(d.p99), d.connMin, d.connMax)
		}
		met, why := b.verdict(fig)
		verdict := "**yes**"
		if !met {
			verdict = "**no**: " + why
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", fig.key, fig.target.text, dText, peerText, ratio, verdict)
	}
	fmt.Fprintf(w, "| allocations | 0 per message on the steady-state read and write paths | see the `allocs/op` "+
		"columns of the microbenchmarks above | | | measured there, not here |\n\n")
}

// valueText formats a figure's value with its unit.
func valueText(fig figure, v float64) string {
	if fig.lower {
		return fmt.Sprintf("%.2f KiB", v)
	}
	return thousands(int(v+0.5)) + "/s"
}

func (b *bench) writeFigure(w *strings.Builder, fig figure) {
	fmt.Fprintf(w, "### %s\n\n", fig.title)
	if fig.lower {
		fmt.Fprintf(w, "| testee | %s | spread | RSS before | RSS after | connections | vs Duplex |\n", fig.unit)
		fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	} else {
		fmt.Fprintf(w, "| testee | %s | spread | p50 | p99 | per connection: fewest – most | server CPU | load CPU | others | vs Duplex |\n", fig.unit)
		fmt.Fprintf(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	}
	d := summarizeRuns(b.res[fig.key][reference])
	var problems []string
	for _, t := range b.testees {
		st := summarizeRuns(b.res[fig.key][t])
		name := t
		if t == reference {
			name = "**duplex**"
		}
		if st.runs == st.failed {
			cols := 11
			if fig.lower {
				cols = 7
			}
			fmt.Fprintf(w, "| %s | failed |%s\n", name, strings.Repeat(" |", cols-2))
			problems = append(problems, fmt.Sprintf("%s: %s", t, strings.Join(st.errorText, "; ")))
			continue
		}
		vs := "–"
		if t != reference {
			vs = ratioText(fig, d.value, st.value)
		}
		val := strings.TrimSuffix(valueText(fig, st.value), "/s")
		if fig.lower {
			val = fmt.Sprintf("%.2f", st.value)
		}
		if st.errors > 0 || st.failed > 0 {
			val += " ⚠"
			problems = append(problems, fmt.Sprintf("%s: %d errors, %d failed runs: %s", t, st.errors, st.failed, strings.Join(st.errorText, "; ")))
		}
		if st.disturbed > 0 {
			val += " †"
			problems = append(problems, fmt.Sprintf("† %s: %s disturbed by other processes even after %d attempts",
				t, plural(st.disturbed, "run"), attempts))
		}
		if fig.lower {
			fmt.Fprintf(w, "| %s | %s | %.0f%% | %.1f MiB | %.1f MiB | %.0f | %s |\n",
				name, val, 100*st.spread, st.rssBefore/1024, st.rssAfter/1024, st.opened, vs)
		} else {
			fmt.Fprintf(w, "| %s | %s | %.0f%% | %v | %v | %.0f – %.0f | %.0f%% | %.0f%% | %.0f%% | %s |\n",
				name, val, 100*st.spread, roundDur(st.p50), roundDur(st.p99), st.connMin, st.connMax,
				100*st.serverCPU, 100*st.loadCPU, 100*st.otherCPU, vs)
		}
	}
	fmt.Fprintf(w, "\n*vs Duplex*: ")
	if fig.lower {
		fmt.Fprintf(w, "the peer's memory per connection divided by Duplex's.\n\n")
	} else {
		fmt.Fprintf(w, "Duplex's %s divided by the peer's.\n\n", fig.unit)
	}
	for _, p := range problems {
		if !strings.HasPrefix(p, "†") {
			p = "⚠ " + p
		}
		fmt.Fprintf(w, "- %s\n", p)
	}
	if len(problems) > 0 {
		fmt.Fprintln(w)
	}
}

// plural returns "1 run", "3 runs".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
