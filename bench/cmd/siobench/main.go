// Command siobench is the Socket.IO benchmark: it compares Duplex's
// socketio package with Node.js socket.io (npm), each as a whole server
// on the same machine in the same run, and writes the results into a
// section of bench/RESULTS.md, between <!-- siobench --> and
// <!-- /siobench -->, leaving the rest of the file to the programs that
// own it.
//
// Run it with make bench-socketio, which builds the testees first:
//
//	make bench-socketio                 # three runs of every figure, about 4 minutes
//	BENCH_QUICK=1 make bench-socketio   # one short run of smaller figures; writes nothing
//
// # The testees
//
// bench/bin/sio-duplex (bench/siotestee/duplex) and bench/bin/sio-node
// (bench/node/sio-server.js) share one contract: `NAME --port PORT`
// listens on 127.0.0.1:PORT, serves Socket.IO at /socket.io/ with the
// library's defaults (no compression), prints "PID <pid>" as its first
// line once it listens, and runs until SIGTERM. Every socket of the main
// namespace joins the room "bench"; the event "echo" is acknowledged
// with its own arguments, and "broadcast" is sent to the room, sender
// included, as "broadcast-back" with the same arguments.
//
// # The load generator
//
// This program is its own load generator. Its clients speak Socket.IO v5
// over the WebSocket transport of Engine.IO v4 directly
// (/socket.io/?EIO=4&transport=websocket, no polling first), through
// Duplex's websocket client, parsing the packets by hand: the open
// packet, CONNECT and its answer, pings answered with pongs, EVENT
// packets and acknowledgements. It refuses targets outside the loopback
// range, and verifies every message: every payload names its source and
// sequence number and is compared byte for byte with the one expected,
// every client must receive every broadcast of every sender in the
// order sent, and every echo must be acknowledged; a run with a
// message lost, damaged, reordered or unexpected, or a client
// disconnected, fails. Every wait is bounded.
//
// # The figures
//
// Each measurement starts a fresh testee pinned to CPU 0 (taskset -c 0);
// this process moves itself to CPU 1. The figures are measured for every
// testee in turn, then again, -runs times, and the report gives the
// medians.
//
//   - bcast: 1,000 clients are connected; a few of them (the senders)
//     emit "broadcast" with a 64-byte string. A sender has at most a
//     window of broadcasts in flight, a broadcast being in flight until
//     every client has received it back, so the server is kept busy
//     while no client ever has more than senders × window broadcasts
//     queued. The figure is the events received by all clients per
//     second, after a warm-up, over a measuring window.
//   - echo: 1,000 clients each emit "echo" with an acknowledgement, one
//     at a time, the next as soon as the previous is acknowledged; the
//     figures are acknowledgements per second and the round-trip times.
//   - idle1k, idle10k: the server's resident memory (VmRSS) before any
//     client, and after 1,000 or 10,000 clients have connected, joined
//     the room and idled for a few seconds; the figure is the growth
//     divided by the clients.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/duplexrt/duplex/bench/internal/mdsection"
	"github.com/duplexrt/duplex/bench/internal/proc"
)

// testees are the servers compared, Duplex first: the reference.
var testees = []string{"duplex", "node"}

// binaries are the testees' names in bench/bin.
var binaries = map[string]string{"duplex": "sio-duplex", "node": "sio-node"}

// CPUs of the testee and of the load generator.
const (
	serverCPU = 0
	loadCPU   = 1
)

// connectConcurrency is how many clients do their handshakes at once.
const connectConcurrency = 32

// section is the name of the section of RESULTS.md this program owns.
const section = "siobench"

// A sample is one measurement of one figure against one testee.
type sample struct {
	Value      float64       `json:"value"` // the figure's own unit
	Broadcasts float64       `json:"broadcasts_per_s,omitempty"`
	P50        time.Duration `json:"p50_ns,omitempty"`
	P90        time.Duration `json:"p90_ns,omitempty"`
	P99        time.Duration `json:"p99_ns,omitempty"`
	Max        time.Duration `json:"max_ns,omitempty"`
	RSSBefore  int64         `json:"rss_before_kib,omitempty"`
	RSSAfter   int64         `json:"rss_after_kib,omitempty"`
	Messages   int64         `json:"verified"` // messages (clients, for idle) verified
	CPU        cpuUse        `json:"cpu"`
	Failed     string        `json:"failed,omitempty"`
}

// results holds every sample: figure key -> testee -> runs.
type results map[string]map[string][]sample

func (r results) add(fig, testee string, s sample) {
	if r[fig] == nil {
		r[fig] = map[string][]sample{}
	}
	r[fig][testee] = append(r[fig][testee], s)
}

// bench is one invocation.
type bench struct {
	dir     string // the bench module
	bin     string
	plan    plan
	testees []string
	res     results
	start   time.Time
	elapsed time.Duration
	pinned  bool
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("siobench: ")
	quick := flag.Bool("quick", os.Getenv("BENCH_QUICK") != "" && os.Getenv("BENCH_QUICK") != "0", "one short run of smaller figures, writing nothing (also BENCH_QUICK=1)")
	runs := flag.Int("runs", 0, "runs of every figure (default 3, 1 with -quick)")
	only := flag.String("testees", strings.Join(testees, ","), "testees to run, comma-separated")
	figs := flag.String("figures", "", "figures to run, comma-separated (default all): "+strings.Join(figureKeys(), ", "))
	binDir := flag.String("bin", "bin", "directory of the testee binaries, relative to the bench module")
	out := flag.String("out", "", "Markdown file whose siobench section to write (default RESULTS.md; none with -quick)")
	rawOut := flag.String("raw", "", "file for the raw samples as JSON (default siobench.json; none with -quick)")
	profile := flag.String("profile", "", "after the runs, profile the duplex testee under every figure into this directory")
	selfProfile := flag.String("cpuprofile", "", "write a CPU profile of the load generator to this file")
	flag.Parse()

	dir, err := moduleDir()
	if err != nil {
		log.Fatal(err)
	}
	b := &bench{dir: dir, bin: inDir(dir, *binDir), plan: makePlan(*quick), res: results{}}
	if !*quick {
		if *out == "" {
			*out = "RESULTS.md"
		}
		if *rawOut == "" {
			*rawOut = "siobench.json"
		}
	}
	if *runs > 0 {
		b.plan.runs = *runs
	}
	if *figs != "" {
		b.plan.figures = selectFigures(b.plan.figures, *figs)
		if len(b.plan.figures) == 0 {
			log.Fatalf("no figure among %q", *figs)
		}
	}
	for _, t := range strings.Split(*only, ",") {
		if _, ok := binaries[t]; ok {
			b.testees = append(b.testees, t)
		} else if t != "" {
			log.Fatalf("unknown testee %q", t)
		}
	}
	for _, t := range b.testees {
		if _, err := os.Stat(b.binary(t)); err != nil {
			log.Fatalf("%s: %v (make bench-build builds the testees)", t, err)
		}
	}
	if err := pinSelf(loadCPU); err != nil {
		log.Printf("load generator not pinned: %v", err)
	} else {
		b.pinned = true
	}

	if *selfProfile != "" {
		f, err := os.Create(*selfProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	b.start = time.Now()
	b.runAll()
	if *selfProfile != "" {
		pprof.StopCPUProfile()
	}
	b.elapsed = time.Since(b.start)
	if *profile != "" {
		b.profile(inDir(dir, *profile))
	}
	fmt.Print(b.markdown())
	if *rawOut != "" {
		data, _ := json.MarshalIndent(b.res, "", "  ")
		if err := os.WriteFile(inDir(dir, *rawOut), append(data, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if *out != "" {
		path := inDir(dir, *out)
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			log.Fatal(err)
		}
		doc := mdsection.Replace(string(old), section, b.markdown())
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			log.Fatal(err)
		}
		log.Printf("wrote the %s section of %s", section, path)
	}
	if b.failures() > 0 {
		os.Exit(1)
	}
}

// binary returns the path of a testee's binary.
func (b *bench) binary(testee string) string { return filepath.Join(b.bin, binaries[testee]) }

// runAll measures every figure of the plan, runs times, every testee in
// turn.
func (b *bench) runAll() {
	for run := 1; run <= b.plan.runs; run++ {
		for _, fig := range b.plan.figures {
			for _, name := range b.testees {
				s := b.measure(fig, name)
				b.res.add(fig.key, name, s)
				log.Printf("run %d/%d %-8s %-6s %s", run, b.plan.runs, fig.key, name, s.summary(fig))
			}
		}
	}
}

// measure runs one figure against a fresh testee.
func (b *bench) measure(fig figure, name string, extra ...string) sample {
	t, err := proc.Start(name, b.binary(name), serverCPU, extra...)
	if err != nil {
		return sample{Failed: err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), fig.limit)
	s, err := fig.run(ctx, t)
	cancel()
	select {
	case <-t.Exited():
		if err == nil {
			err = errors.New("the testee exited during the run")
		}
	default:
	}
	t.Stop()
	if err != nil {
		s = sample{Failed: err.Error()}
		if msg := t.Stderr(); msg != "" {
			s.Failed += " (stderr: " + firstLines(msg, 3) + ")"
		}
	}
	return s
}

// profile runs the duplex testee once more under each figure, into dir:
// a CPU profile under bcast and echo, a heap profile (and goroutine
// count) of the connected clients under the idle figures.
func (b *bench) profile(dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Print(err)
		return
	}
	for _, fig := range b.plan.figures {
		path := filepath.Join(dir, "sio-duplex-"+fig.key+".prof")
		flag := "--cpuprofile"
		if fig.snapshot != nil {
			fig = *fig.snapshot
			flag = "--memprofile"
		}
		s := b.measure(fig, "duplex", flag, path)
		log.Printf("profile %s: %s (%s)", fig.key, s.summary(fig), path)
	}
}

// failures counts the failed samples.
func (b *bench) failures() int {
	n := 0
	for _, byTestee := range b.res {
		for _, ss := range byTestee {
			for _, s := range ss {
				if s.Failed != "" {
					n++
				}
			}
		}
	}
	return n
}

// moduleDir returns the directory of the bench module: the working
// directory or a parent of it holding go.mod of that module.
func moduleDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.Contains(string(data), "module github.com/duplexrt/duplex/bench\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s is not inside the bench module", dir)
		}
	}
}

// inDir returns path made absolute relative to dir.
func inDir(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// firstLines returns the first n lines of s, joined with " / ".
func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], " / ")
}
