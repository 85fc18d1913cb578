package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/internal/loadgen"
)

// fakeBench holds made-up samples, to check the report.
func fakeBench() *bench {
	p := makePlan(false)
	b := &bench{plan: p, testees: []string{"duplex", "gorilla", "node"}, res: results{}, dir: "."}
	add := func(fig, t string, vals ...float64) {
		for _, v := range vals {
			b.res.add(fig, t, sample{Value: v, P99: 5 * time.Millisecond, ConnMin: 90, ConnMax: 110, ConnMean: 100, Opened: 100})
		}
	}
	add("echo64", "duplex", 900, 1000, 1100)
	add("echo64", "gorilla", 400, 450, 500)
	add("echo64", "node", 800, 800, 800) // not a Go library: not the reference for echo
	add("echo16k", "duplex", 100, 100, 100)
	add("echo16k", "gorilla", 90, 90, 90)
	add("echo16k", "node", 200, 200, 200)
	add("idle", "duplex", 3.5, 3.6, 3.7)
	add("idle", "gorilla", 20, 21, 22)
	add("idle", "node", 6, 6, 6)
	add("bcast1k", "duplex", 3000, 3000, 3000)
	add("bcast1k", "gorilla", 1000, 1000, 1000)
	add("bcast1k", "node", 2500, 2500, 2500) // the best peer: 1.2×, not met
	add("bcast10k", "duplex", 3000, 3000, 3000)
	add("bcast10k", "gorilla", 1000, 1000)
	b.res.add("bcast10k", "gorilla", sample{Failed: "testee crashed"})
	b.res.add("bcast10k", "node", sample{Value: 9000, Errors: 3, ErrorText: []string{"lost: 3 messages"}})
	b.res.add("bcast1k", "gorilla", sample{Value: 1000, Disturbed: true})
	return b
}

func TestVerdicts(t *testing.T) {
	b := fakeBench()
	for fig, want := range map[string]bool{"echo64": true, "echo16k": false, "idle": true, "bcast1k": false, "bcast10k": true} {
		var f figure
		for _, x := range b.plan.figures {
			if x.key == fig {
				f = x
			}
		}
		met, why := b.verdict(f)
		if met != want {
			t.Errorf("%s: met %v (%s), want %v", fig, met, why, want)
		}
	}
	// A p99 over 25 ms misses the echo target whatever the ratio.
	b.res["echo64"]["duplex"][1].P99 = 30 * time.Millisecond
	b.res["echo64"]["duplex"][2].P99 = 30 * time.Millisecond
	if met, why := b.verdict(b.plan.figures[0]); met || !strings.Contains(why, "p99") {
		t.Errorf("slow p99: %v %q", met, why)
	}
}

func TestMarkdown(t *testing.T) {
	b := fakeBench()
	md := b.markdown()
	for _, want := range []string{
		"## Whole servers under load", "### Machine", "### Method", "### Targets of issue 6",
		"| echo64 | ≥ 2× the best Go library, p99 ≤ 25 ms, every connection served | 1,000/s, p99 5ms, per connection 90 to 110 | gorilla 450/s | 2.22× | **yes** |",
		"| echo16k | ≥ 1.2× the best Go library | 100/s | gorilla 90/s | 1.11× | **no**: 1.11× gorilla, not 1.2× |",
		"| idle | ≤ 4 KiB per connection | 3.60 KiB | node 6.00 KiB | 1.67× leaner | **yes** |",
		"**no**: 1.20× node, not 1.5×",
		"| **duplex** | 1,000 | 20% |",
		"⚠ node: 3 errors",
		"⚠ gorilla: 0 errors, 1 failed runs: testee crashed",
		"median of the 3 runs",
		"† gorilla: 1 run disturbed by other processes",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}

// TestMeasure runs the duplex testee for real: built here, pinned as in
// the benchmark when taskset is there, under a short echo and a small
// idle figure.
func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a testee")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "duplex"), "../../testee/duplex")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The worker is this test binary: TestMain runs it.
	b := &bench{self: self, bin: dir, res: results{}}
	echo := figure{key: "echo", path: "/echo", unit: "messages/s",
		cfg: loadgen.Config{Conns: 4, InFlight: 4, Size: 64, Binary: true, Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond}}
	s, err := b.measure(echo, "duplex", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Value <= 0 || s.Errors != 0 || s.Opened != 4 || s.P99 <= 0 || s.ConnMin <= 0 || s.ServerCPU <= 0 || s.LoadCPU <= 0 {
		t.Errorf("echo sample %+v", s)
	}
	idle := figure{key: "idle", path: "/echo", unit: "KiB per connection", lower: true, settle: 100 * time.Millisecond,
		cfg: loadgen.Config{Mode: loadgen.ModeIdle, Conns: 200, Duration: time.Minute}}
	start := time.Now()
	s, err = b.measure(idle, "duplex", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Opened != 200 || s.Errors != 0 || s.RSSBefore <= 0 || s.RSSAfter <= s.RSSBefore || s.Value <= 0 || s.Value > 100 {
		t.Errorf("idle sample %+v", s)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the idle hold did not end when released: %v", d)
	}
}

func TestMain(m *testing.M) {
	// bench.measure starts this binary with -worker.
	for i, a := range os.Args {
		if a == "-worker" && i+1 < len(os.Args) {
			workerMain(os.Args[i+1])
		}
	}
	os.Exit(m.Run())
}
