// Command report runs the side-by-side benchmarks of the bench module
// several times, takes the median of every figure, and writes a Markdown
// report with the machine, the method, a table per benchmark, the ratios
// of Duplex against each peer, and a list of the comparisons Duplex
// loses.
//
// Run it from the bench directory:
//
//	go run ./cmd/report
//
// BenchmarkIdleConn, which measures memory and takes several seconds per
// library and mode, runs in rounds of its own (-idle-count) with one
// iteration each; every other benchmark runs -count rounds.
//
// It writes RESULTS.md and results.txt (the raw output, which benchstat
// reads), keeping the section of RESULTS.md that cmd/serverbench writes
// (between <!-- serverbench --> and <!-- /serverbench -->). With -in it reads the raw output of an earlier run instead of
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
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/duplexrt/duplex/bench/internal/mdsection"
)

// reference is the library the others are compared with.
const reference = "duplex"

// idleBench is the memory benchmark, which runs in rounds of its own.
const idleBench = "IdleConn"

// serverSection is the section of the report that cmd/serverbench
// writes.
const serverSection = "serverbench"

func main() {
	log.SetFlags(0)
	log.SetPrefix("report: ")
	count := flag.Int("count", 5, "rounds: go test runs of every benchmark, one after another")
	idleCount := flag.Int("idle-count", 3, "rounds of BenchmarkIdleConn, one iteration each (0: leave it out)")
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
		if output, err = runBenchmarks(dir, *bench, *benchtime, *count, *idleCount); err != nil {
			log.Fatal(err)
		}
		method = fmt.Sprintf("The benchmark binary was built once (`go test -c`) and run %d times in a row in `bench/` "+
			"with `-test.run '^$' -test.bench '%s' -test.skip '^Benchmark%s$' -test.benchmem -test.benchtime %s -test.count 1`, "+
			"each round covering every library, so that bursts of load on the shared machine hit all of them alike; "+
			"then %d times with `-test.run '^$' -test.bench '^Benchmark%s$' -test.benchtime 1x` for the memory figures. "+
			"Load average (1, 5, 15 min) before the first round: %s; after the last: %s.",
			*count, *bench, idleBench, *benchtime, *idleCount, idleBench, before, loadAverage())
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
	// The whole-server benchmark (cmd/serverbench) owns a section of
	// the same file; keep it.
	report := buf.String()
	if old, err := os.ReadFile(inDir(dir, *out)); err == nil {
		report = mdsection.Keep(report, string(old), serverSection)
	}
	if err := os.WriteFile(inDir(dir, *out), []byte(report), 0o644); err != nil {
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
// times, one run of every benchmark but the idle one per round, so that a
// burst of load on a shared machine spreads over all the libraries
// instead of landing on the runs of one; then idleCount rounds of the
// idle benchmark. It echoes the output to standard error as it comes and
// returns it.
func runBenchmarks(dir, bench, benchtime string, count, idleCount int) ([]byte, error) {
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
	run := func(what string, args ...string) error {
		cmd := exec.Command(bin, append([]string{"-test.run", "^$", "-test.count", "1"}, args...)...)
		cmd.Dir = dir
		cmd.Stdout = io.MultiWriter(&out, os.Stderr)
		cmd.Stderr = os.Stderr
		log.Printf("%s (load average %s)", what, loadAverage())
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	for round := 1; round <= count; round++ {
		if err := run(fmt.Sprintf("round %d of %d", round, count),
			"-test.bench", bench, "-test.skip", "^Benchmark"+idleBench+"$",
			"-test.benchmem", "-test.benchtime", benchtime); err != nil {
			return nil, err
		}
	}
	for round := 1; round <= idleCount; round++ {
		if err := run(fmt.Sprintf("idle memory round %d of %d", round, idleCount),
			"-test.bench", "^Benchmark"+idleBench+"$", "-test.benchtime", "1x"); err != nil {
			return nil, err
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
	// BenchmarkEcho/duplex/16B -> Echo, duplex, "", 16B;
	// BenchmarkEchoCompressed/duplex/takeover/1KiB -> EchoCompressed,
	// duplex, takeover, 1KiB; BenchmarkIdleConn/duplex/off -> IdleConn,
	// duplex, off, "".
	bench, lib, mode, size string
	values                 map[string][]float64 // unit -> one value per run
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

// medianOr returns the median of the runs in unit, or 0.
func (r *result) medianOr(unit string) float64 {
	m, _ := r.median(unit)
	return m
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
// they first appear. Names have three parts, benchmark/library/size (or
// benchmark/library/mode for BenchmarkIdleConn), or four,
// benchmark/library/mode/size.
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
		var mode, size string
		switch {
		case len(parts) == 3 && parts[0] == idleBench:
			mode = parts[2]
		case len(parts) == 3:
			size = parts[2]
		case len(parts) == 4:
			mode, size = parts[2], parts[3]
		default:
			continue
		}
		res := byName[name]
		if res == nil {
			res = &result{bench: parts[0], lib: parts[1], mode: mode, size: size, values: map[string][]float64{}}
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
	out := command(dir, "go", "list", "-m", "github.com/gorilla/websocket", "github.com/lxzan/gws", "github.com/klauspost/compress")
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			list = append(list, line)
		}
	}
	return strings.Join(list, ", ")
}
