// Command report runs the side-by-side benchmarks of the bench module
// several times, takes the median of every figure, and writes a Markdown
// report with the machine, the method, a table per benchmark and the
// ratios of Duplex against each peer.
//
// Run it from the bench directory:
//
//	go run ./cmd/report
//
// It writes RESULTS.md and results.txt (the raw output, which benchstat
// reads). With -in it reads the raw output of an earlier run instead of
// running the benchmarks.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// reference is the library the others are compared with.
const reference = "duplex"

func main() {
	log.SetFlags(0)
	log.SetPrefix("report: ")
	count := flag.Int("count", 5, "rounds: go test runs of every benchmark, one after another")
	bench := flag.String("bench", ".", "benchmarks to run (go test -bench)")
	benchtime := flag.String("benchtime", "1s", "time or iterations per run (go test -benchtime)")
	in := flag.String("in", "", "read raw benchmark output from this file instead of running the benchmarks")
	out := flag.String("out", "RESULTS.md", "Markdown report to write")
	raw := flag.String("raw", "results.txt", "file for the raw benchmark output (empty: do not write)")
	flag.Parse()

	dir, err := moduleDir()
	if err != nil {
		log.Fatal(err)
	}
	var output []byte
	var method string
	if *in != "" {
		if output, err = os.ReadFile(*in); err != nil {
			log.Fatal(err)
		}
		method = fmt.Sprintf("Raw output read from `%s`; the machine above is the one that wrote this report.", *in)
	} else {
		before := loadAverage()
		if output, err = runBenchmarks(dir, *bench, *benchtime, *count); err != nil {
			log.Fatal(err)
		}
		method = fmt.Sprintf("The benchmark binary was built once (`go test -c`) and run %d times in a row in `bench/` "+
			"with `-test.run '^$' -test.bench '%s' -test.benchmem -test.benchtime %s -test.count 1`, "+
			"each round covering every library, so that bursts of load on the shared machine hit all of them alike. "+
			"Load average (1, 5, 15 min) before the first round: %s; after the last: %s.",
			*count, *bench, *benchtime, before, loadAverage())
		if *raw != "" {
			if err := os.WriteFile(inDir(dir, *raw), output, 0o644); err != nil {
				log.Fatal(err)
			}
			method += fmt.Sprintf(" The raw output is in `%s`, ready for benchstat.", *raw)
		}
	}
	results, err := parse(bytes.NewReader(output))
	if err != nil {
		log.Fatal(err)
	}
	if len(results) == 0 {
		log.Fatal("no benchmark results in the output")
	}
	var buf bytes.Buffer
	writeReport(&buf, dir, method, results)
	if err := os.WriteFile(inDir(dir, *out), buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s", inDir(dir, *out))
}

// inDir resolves a relative path against dir.
func inDir(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// moduleDir returns the directory of the bench module, which must be the
// module of the working directory.
func moduleDir() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(b))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a module: run from the bench directory")
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !bytes.Contains(data, []byte("module github.com/duplexrt/duplex/bench\n")) {
		return "", fmt.Errorf("%s is not the bench module: run from the bench directory", gomod)
	}
	return filepath.Dir(gomod), nil
}

// runBenchmarks builds the benchmark binary once, then runs it count
// times, one run of every benchmark per round, so that a burst of load on
// a shared machine spreads over all the libraries instead of landing on
// the runs of one. It echoes the output to standard error as it comes and
// returns it.
func runBenchmarks(dir, bench, benchtime string, count int) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "bench-report-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bench.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir = dir
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	log.Printf("building %s", strings.Join(build.Args, " "))
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("go test -c: %w", err)
	}
	var out bytes.Buffer
	for round := 1; round <= count; round++ {
		cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", bench, "-test.benchmem",
			"-test.benchtime", benchtime, "-test.count", "1")
		cmd.Dir = dir
		cmd.Stdout = io.MultiWriter(&out, os.Stderr)
		cmd.Stderr = os.Stderr
		log.Printf("round %d of %d (load average %s)", round, count, loadAverage())
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("round %d: %w", round, err)
		}
	}
	return out.Bytes(), nil
}

// loadAverage returns the 1, 5 and 15 minute load averages, or "unknown".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// result holds every run of one benchmark.
type result struct {
	bench, lib, size string               // BenchmarkEcho/duplex/16B -> Echo, duplex, 16B
	values           map[string][]float64 // unit -> one value per run
}

// median returns the median of the runs in unit, and whether there are any.
func (r *result) median(unit string) (float64, bool) {
	v := slices.Clone(r.values[unit])
	if len(v) == 0 {
		return 0, false
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// spread returns (max-min)/median of the runs in unit.
func (r *result) spread(unit string) float64 {
	v := r.values[unit]
	m, ok := r.median(unit)
	if !ok || m == 0 {
		return 0
	}
	return (slices.Max(v) - slices.Min(v)) / m
}

// parse reads go test -bench output and returns the results in the order
// they first appear. Names must have three parts: benchmark/library/size.
func parse(r io.Reader) ([]*result, error) {
	var results []*result
	byName := map[string]*result{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // not a result line
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // drop the GOMAXPROCS suffix
			}
		}
		parts := strings.Split(strings.TrimPrefix(name, "Benchmark"), "/")
		if len(parts) != 3 {
			continue
		}
		res := byName[name]
		if res == nil {
			res = &result{bench: parts[0], lib: parts[1], size: parts[2], values: map[string][]float64{}}
			byName[name] = res
			results = append(results, res)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("bad value %q in %q", f[i], sc.Text())
			}
			res.values[f[i+1]] = append(res.values[f[i+1]], v)
		}
	}
	return results, sc.Err()
}

// section describes how one benchmark is presented.
type section struct {
	title, about string
	gigabytes    bool // show throughput in GB/s rather than MB/s
}

var sections = map[string]section{
	"Echo": {
		title: "Echo round trips over loopback TCP",
		about: "A server of each library echoes; a client of the same library writes a binary " +
			"message and waits for the echo. ns/op is one round trip; MB/s counts the payload once " +
			"per round trip; B/op and allocs/op are for the whole process, client and server together.",
	},
	"EchoCancelableContext": {
		title: "Duplex echo with cancelable contexts",
		about: "BenchmarkEcho for Duplex alone, with cancelable contexts passed to Read and Write " +
			"on both sides (the server passes the request's context), as most applications do. " +
			"BenchmarkEcho passes context.Background(). The peers take no context, so there is " +
			"nothing to compare with but Duplex's own BenchmarkEcho rows.",
	},
	"ClientWrite": {
		title: "Client write path (masking throughput)",
		about: "A client writes binary messages into an in-memory connection that answered the " +
			"handshake and discards the bytes. Neither Duplex nor the peers export their masking " +
			"function, so this measures masking together with each library's framing and copying; " +
			"for large messages masking dominates.",
		gigabytes: true,
	},
}

// writeReport writes the Markdown report.
func writeReport(w io.Writer, dir, method string, results []*result) {
	fmt.Fprintf(w, "# Benchmark results\n\n")
	fmt.Fprintf(w, "> These numbers come from a %d-core shared virtual machine and are noisy: "+
		"runs of the same benchmark differ by the spread shown in each table. Compare the "+
		"ratios rather than the absolute figures, and re-run before relying on a difference "+
		"of a few per cent.\n\n", runtime.NumCPU())

	fmt.Fprintf(w, "## Machine\n\n")
	fmt.Fprintf(w, "| | |\n| --- | --- |\n")
	fmt.Fprintf(w, "| CPU | %s |\n", cpuModel())
	fmt.Fprintf(w, "| Cores (nproc) | %d |\n", runtime.NumCPU())
	fmt.Fprintf(w, "| Go | %s |\n", command(dir, "go", "version"))
	if k, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		fmt.Fprintf(w, "| Kernel | Linux %s |\n", strings.TrimSpace(string(k)))
	}
	fmt.Fprintf(w, "| Date | %s |\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "| Libraries | %s |\n\n", libraryVersions(dir))

	fmt.Fprintf(w, "## Method\n\n")
	fmt.Fprintf(w, "%s Every figure is the median of the rounds; *spread* is (max − min) / median of ns/op "+
		"over the rounds. Each library runs with its own default buffer sizes, compression off, "+
		"and the same 16 MiB read limit. The ratio tables divide Duplex's ns/op by the peer's: "+
		"below 1.00 Duplex is faster, above 1.00 it is slower.", method)
	fmt.Fprintf(w, "\n\nThe harness is described in `doc.go`; `go test ./...` checks that every library's "+
		"echo returns the bytes it was sent and that every client's frames are masked.\n\n")

	var benches []string
	for _, r := range results {
		if !slices.Contains(benches, r.bench) {
			benches = append(benches, r.bench)
		}
	}
	for _, b := range benches {
		writeSection(w, b, results)
	}
}

// writeSection writes the tables of one benchmark.
func writeSection(w io.Writer, bench string, all []*result) {
	sec, ok := sections[bench]
	if !ok {
		sec = section{title: "Benchmark" + bench}
	}
	var sizes, libs []string
	cell := map[[2]string]*result{}
	for _, r := range all {
		if r.bench != bench {
			continue
		}
		if !slices.Contains(sizes, r.size) {
			sizes = append(sizes, r.size)
		}
		if !slices.Contains(libs, r.lib) {
			libs = append(libs, r.lib)
		}
		cell[[2]string{r.size, r.lib}] = r
	}
	// The reference library first, the peers in the order they ran.
	slices.SortStableFunc(libs, func(a, b string) int {
		switch {
		case a == reference && b != reference:
			return -1
		case b == reference && a != reference:
			return 1
		}
		return 0
	})

	thr := "MB/s"
	if sec.gigabytes {
		thr = "GB/s"
	}
	fmt.Fprintf(w, "## %s (`Benchmark%s`)\n\n", sec.title, bench)
	if sec.about != "" {
		fmt.Fprintf(w, "%s\n\n", sec.about)
	}
	fmt.Fprintf(w, "| size | library | ns/op | spread | %s | B/op | allocs/op |\n", thr)
	fmt.Fprintf(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, size := range sizes {
		for _, lib := range libs {
			r := cell[[2]string{size, lib}]
			if r == nil {
				continue
			}
			name := lib
			if lib == reference {
				name = "**" + lib + "**"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %.0f%% | %s | %s | %s |\n", size, name,
				num(r, "ns/op", 1, 0), 100*r.spread("ns/op"), throughput(r, sec.gigabytes),
				num(r, "B/op", 1, 0), num(r, "allocs/op", 1, 0))
		}
	}
	fmt.Fprintln(w)

	var peers []string
	for _, lib := range libs {
		if lib != reference {
			peers = append(peers, lib)
		}
	}
	if !slices.Contains(libs, reference) || len(peers) == 0 {
		return
	}
	fmt.Fprintf(w, "Duplex against each peer (ns/op of Duplex ÷ ns/op of the peer; allocs/op of Duplex vs the peer):\n\n")
	fmt.Fprintf(w, "| size |")
	for _, p := range peers {
		fmt.Fprintf(w, " vs %s: time | vs %s: allocs/op |", p, p)
	}
	fmt.Fprintf(w, "\n| --- |%s\n", strings.Repeat(" ---: | ---: |", len(peers)))
	for _, size := range sizes {
		d := cell[[2]string{size, reference}]
		fmt.Fprintf(w, "| %s |", size)
		for _, p := range peers {
			r := cell[[2]string{size, p}]
			if d == nil || r == nil {
				fmt.Fprintf(w, " – | – |")
				continue
			}
			dn, _ := d.median("ns/op")
			pn, _ := r.median("ns/op")
			fmt.Fprintf(w, " %s | %s vs %s |", ratio(dn, pn), num(d, "allocs/op", 1, 0), num(r, "allocs/op", 1, 0))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// ratio formats d/p with a word saying which side is faster.
func ratio(d, p float64) string {
	if p == 0 {
		return "–"
	}
	x := d / p
	switch {
	case x < 0.995:
		return fmt.Sprintf("%.2f (Duplex %.2f× faster)", x, p/d)
	case x > 1.005:
		return fmt.Sprintf("%.2f (Duplex %.2f× slower)", x, x)
	}
	return fmt.Sprintf("%.2f (even)", x)
}

// num formats the median of unit divided by div.
func num(r *result, unit string, div float64, prec int) string {
	m, ok := r.median(unit)
	if !ok {
		return "–"
	}
	m /= div
	if prec == 0 && m >= 10 {
		return strconv.FormatFloat(m, 'f', 0, 64)
	}
	if prec == 0 {
		if m == float64(int64(m)) {
			return strconv.FormatFloat(m, 'f', 0, 64)
		}
		return strconv.FormatFloat(m, 'f', 1, 64)
	}
	return strconv.FormatFloat(m, 'f', prec, 64)
}

// throughput formats the median MB/s, as GB/s when gigabytes is set.
func throughput(r *result, gigabytes bool) string {
	if gigabytes {
		return num(r, "MB/s", 1000, 2)
	}
	return num(r, "MB/s", 1, 1)
}

// cpuModel returns the first model name in /proc/cpuinfo.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// command runs name with args in dir and returns its trimmed output, or
// a note of the failure.
func command(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return fmt.Sprintf("(%s: %v)", name, err)
	}
	return strings.TrimSpace(string(out))
}

// libraryVersions lists the peers' module versions and Duplex's commit.
func libraryVersions(dir string) string {
	duplex := "github.com/duplexrt/duplex (this repository"
	if rev := command(filepath.Dir(dir), "git", "rev-parse", "--short", "HEAD"); !strings.HasPrefix(rev, "(") {
		duplex += " at " + rev
		if st := command(filepath.Dir(dir), "git", "status", "--porcelain", "--untracked-files=no", "--", "websocket"); st != "" {
			duplex += ", websocket/ modified"
		}
	} else {
		duplex += ", uncommitted working tree"
	}
	duplex += ")"
	list := []string{duplex}
	out := command(dir, "go", "list", "-m", "github.com/gorilla/websocket", "github.com/lxzan/gws")
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			list = append(list, line)
		}
	}
	return strings.Join(list, ", ")
}
