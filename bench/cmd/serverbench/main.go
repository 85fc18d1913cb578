// Command serverbench is the whole-server benchmark: it runs the testees
// of bench/testee and bench/node (one server per WebSocket library, see
// bench/internal/testee for their contract) under the load of
// internal/loadgen and writes the results into a section of
// bench/RESULTS.md, between <!-- serverbench --> and <!-- /serverbench -->,
// leaving the rest of the file to cmd/report.
//
// Run it through bench/run (make bench does, after make bench-build):
//
//	./bench/run            # every figure, three runs each, about 11 minutes
//	BENCH_QUICK=1 ./bench/run   # one short run of smaller figures, under 2 minutes
//
// Each measurement starts a fresh testee process pinned to CPU 0 (taskset
// -c 0) and a load generator process (this program in worker mode)
// pinned to CPU 1. The figures are measured for every testee in turn,
// then again, so that a burst of load on a shared machine spreads over
// all of them; the report gives the median of the runs.
//
// The load generator refuses targets outside the loopback range, and
// verifies every message: a run with lost, corrupted or reordered
// messages is reported as failed.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/duplexrt/duplex/bench/internal/mdsection"
	"github.com/duplexrt/duplex/bench/internal/proc"
)

// testees are the servers, Duplex first.
var testees = []string{"duplex", "gorilla", "gws", "gobwas", "coder", "node"}

// goTestees are the Go libraries among them.
var goTestees = map[string]bool{"duplex": true, "gorilla": true, "gws": true, "gobwas": true, "coder": true}

const reference = "duplex"

// maxOther is the most CPU, in cores, that other processes may use
// during a measurement; a measurement over it is made again.
const maxOther = 0.15

// attempts bounds how often a disturbed measurement is made.
const attempts = 3

// CPUs of the server and of the load generator.
const (
	serverCPU = 0
	loadCPU   = 1
)

// sample is one measurement of one testee.
type sample struct {
	Value     float64       `json:"value"`
	P50       time.Duration `json:"p50_ns,omitempty"`
	P99       time.Duration `json:"p99_ns,omitempty"`
	P999      time.Duration `json:"p999_ns,omitempty"`
	Max       time.Duration `json:"max_ns,omitempty"`
	ConnMin   int64         `json:"conn_min,omitempty"`
	ConnMax   int64         `json:"conn_max,omitempty"`
	ConnMean  float64       `json:"conn_mean,omitempty"`
	Opened    int           `json:"opened"`
	Errors    int64         `json:"errors"`
	ErrorText []string      `json:"error_text,omitempty"`
	ServerCPU float64       `json:"server_cpu,omitempty"`
	LoadCPU   float64       `json:"load_cpu,omitempty"`
	OtherCPU  float64       `json:"other_cpu,omitempty"`
	Disturbed bool          `json:"disturbed,omitempty"` // other load stayed over the limit in every attempt
	RSSBefore int64         `json:"rss_before_kib,omitempty"`
	RSSAfter  int64         `json:"rss_after_kib,omitempty"`
	Failed    string        `json:"failed,omitempty"` // the measurement could not be made
}

// results holds every sample: figure key -> testee -> runs.
type results map[string]map[string][]sample

func (r results) add(fig, testee string, s sample) {
	if r[fig] == nil {
		r[fig] = map[string][]sample{}
	}
	r[fig][testee] = append(r[fig][testee], s)
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("serverbench: ")
	worker := flag.String("worker", "", "internal: generate the load of this JSON configuration")
	quick := flag.Bool("quick", os.Getenv("BENCH_QUICK") != "" && os.Getenv("BENCH_QUICK") != "0", "one short run of smaller figures (also BENCH_QUICK=1)")
	runs := flag.Int("runs", 0, "runs of every figure (default 3, 1 with -quick)")
	only := flag.String("testees", strings.Join(testees, ","), "testees to run, comma-separated")
	figs := flag.String("figures", "", "figures to run, comma-separated (default all): echo64, echo16k, idle, bcast1k, bcast10k")
	binDir := flag.String("bin", "bin", "directory of the testee binaries, relative to the bench module")
	out := flag.String("out", "", "Markdown file whose serverbench section to write (default RESULTS.md; none with -quick)")
	rawOut := flag.String("raw", "", "file for the raw samples as JSON (default serverbench.json; none with -quick)")
	profile := flag.String("profile", "", "after the runs, profile the duplex testee under each figure into this directory")
	in := flag.String("in", "", "write the section from the raw samples of an earlier run (its -raw file) instead of measuring")
	flag.Parse()
	if *worker != "" {
		workerMain(*worker)
	}
	dir, err := moduleDir()
	if err != nil {
		log.Fatal(err)
	}
	if !flagGiven("out") && !*quick {
		*out = "RESULTS.md"
	}
	if !flagGiven("raw") && !*quick {
		*rawOut = "serverbench.json"
	}
	p := makePlan(*quick)
	if *runs > 0 {
		p.runs = *runs
	}
	if *figs != "" {
		var keep []figure
		for _, f := range p.figures {
			if strings.Contains(","+*figs+",", ","+f.key+",") {
				keep = append(keep, f)
			}
		}
		p.figures = keep
	}
	if len(p.figures) == 0 {
		log.Fatalf("no figure matches %q", *figs)
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	// Every process here needs many files: 15,000 connections on each
	// side of the idle figure. Setting the limit (rather than relying on
	// Go raising it) makes children inherit it.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			log.Printf("cannot raise the open files limit: %v", err)
		}
	}
	b := &bench{dir: dir, self: self, bin: inDir(dir, *binDir), plan: p, res: results{}, start: time.Now()}
	if *in != "" {
		if err := b.load(inDir(dir, *in), *only); err != nil {
			log.Fatal(err)
		}
		b.write(*out, "")
		return
	}
	var missing []string
	for _, t := range strings.Split(*only, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if _, err := os.Stat(b.binary(t)); err != nil {
			missing = append(missing, t)
			continue
		}
		b.testees = append(b.testees, t)
	}
	if len(missing) > 0 {
		log.Printf("left out, not built (make bench-build): %s", strings.Join(missing, ", "))
		b.missing = missing
	}
	if len(b.testees) == 0 {
		log.Fatal("no testee to run: make bench-build")
	}
	if proc.TasksetPath == "" {
		log.Printf("no taskset: server and load generator are not pinned")
	}
	b.loadBefore = loadAverage()
	b.libs = b.versions()
	b.runAll()
	b.loadAfter = loadAverage()
	b.elapsed = time.Since(b.start)
	b.date = time.Now()
	if *profile != "" {
		b.profile(inDir(dir, *profile))
	}
	b.write(*out, *rawOut)
	log.Printf("done in %v", b.elapsed.Round(time.Second))
}

// rawFile is what -raw writes and -in reads.
type rawFile struct {
	Date    time.Time     `json:"date"`
	Elapsed time.Duration `json:"elapsed_ns"`
	Runs    int           `json:"runs"`
	Quick   bool          `json:"quick"`
	Retries int           `json:"retries"`
	// RetryBudget is how long into the run measurements were made again.
	RetryBudget time.Duration `json:"retry_budget_ns"`
	LoadBefore  string        `json:"load_before"`
	LoadAfter   string        `json:"load_after"`
	Versions    string        `json:"versions"`
	Testees     []string      `json:"testees"`
	Missing     []string      `json:"missing,omitempty"`
	Results     results       `json:"results"`
}

// load reads the raw samples of an earlier run.
func (b *bench) load(path, only string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var raw rawFile
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	b.plan = makePlan(raw.Quick)
	b.plan.runs = raw.Runs
	if raw.RetryBudget > 0 {
		b.plan.retryBudget = raw.RetryBudget
	}
	var figs []figure
	for _, f := range b.plan.figures {
		if raw.Results[f.key] != nil {
			figs = append(figs, f)
		}
	}
	b.plan.figures = figs
	b.res, b.testees, b.missing = raw.Results, raw.Testees, raw.Missing
	b.elapsed, b.retries, b.loadBefore, b.loadAfter, b.date = raw.Elapsed, raw.Retries, raw.LoadBefore, raw.LoadAfter, raw.Date
	b.libs = raw.Versions
	return nil
}

// write writes the section into the Markdown file out and the raw
// samples into rawOut, each unless empty, and the section to stdout.
func (b *bench) write(out, rawOut string) {
	dir := b.dir
	section := b.markdown()
	fmt.Println(section)
	if out != "" {
		path := inDir(dir, out)
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			log.Fatal(err)
		}
		doc := mdsection.Replace(string(old), "serverbench", section)
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			log.Fatal(err)
		}
		log.Printf("wrote the serverbench section of %s", path)
	}
	if rawOut != "" {
		raw := rawFile{Date: b.date, Elapsed: b.elapsed, Runs: b.plan.runs, Quick: b.plan.quick, Retries: b.retries, RetryBudget: b.plan.retryBudget, Versions: b.libs,
			LoadBefore: b.loadBefore, LoadAfter: b.loadAfter, Testees: b.testees, Missing: b.missing, Results: b.res}
		data, _ := json.MarshalIndent(raw, "", "  ")
		if err := os.WriteFile(inDir(dir, rawOut), append(data, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func flagGiven(name string) bool {
	given := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

// bench is one run of the whole benchmark.
type bench struct {
	dir, self, bin string
	plan           plan
	testees        []string
	missing        []string
	res            results
	start          time.Time
	elapsed        time.Duration

	loadBefore, loadAfter string
	profiles              []string
	retries               int       // measurements made again
	date                  time.Time // when the measurements ended
	libs                  string    // the libraries' versions, Duplex's commit, when measured
}

func (b *bench) binary(testee string) string { return filepath.Join(b.bin, testee) }

// runAll measures every figure for every testee, plan.runs times.
func (b *bench) runAll() {
	for run := 1; run <= b.plan.runs; run++ {
		for _, fig := range b.plan.figures {
			for _, t := range b.testees {
				s, err := b.measureQuiet(fig, t)
				if err != nil {
					s = sample{Failed: err.Error()}
					log.Printf("run %d/%d %-8s %-8s failed: %v", run, b.plan.runs, fig.key, t, err)
				} else {
					log.Printf("run %d/%d %-8s %-8s %s", run, b.plan.runs, fig.key, t, s.summary(fig))
				}
				b.res.add(fig.key, t, s)
			}
		}
	}
}

func (s sample) summary(fig figure) string {
	var v string
	if fig.lower {
		v = fmt.Sprintf("%.2f %s (RSS %d -> %d KiB, %d connections)", s.Value, fig.unit, s.RSSBefore, s.RSSAfter, s.Opened)
	} else {
		v = fmt.Sprintf("%s %s, p99 %v, per connection %d to %d, server CPU %.0f%%, load CPU %.0f%%, others %.0f%%",
			thousands(int(s.Value+0.5)), fig.unit, s.P99.Round(10*time.Microsecond), s.ConnMin, s.ConnMax, 100*s.ServerCPU, 100*s.LoadCPU, 100*s.OtherCPU)
	}
	if s.Errors > 0 {
		v += fmt.Sprintf(", %d ERRORS: %s", s.Errors, strings.Join(s.ErrorText, "; "))
	}
	return v
}

// measureQuiet measures, and measures again, after waiting (at most 30
// s) for the machine to be quiet, when other processes used more than
// maxOther during the measurement (a shared machine): at most attempts
// times, and only while the run is within its retry budget.
func (b *bench) measureQuiet(fig figure, testee string) (sample, error) {
	for i := 1; ; i++ {
		s, err := b.measure(fig, testee, nil)
		if err != nil || s.OtherCPU <= maxOther {
			return s, err
		}
		b.retries++
		if i == attempts || time.Since(b.start) > b.plan.retryBudget {
			s.Disturbed = true
			return s, nil
		}
		log.Printf("%s %s: other processes used %.0f%% of a core meanwhile; waiting for a quiet machine to measure again",
			fig.key, testee, 100*s.OtherCPU)
		if !waitQuiet(30 * time.Second) {
			log.Printf("the machine is still busy")
		}
	}
}

// measure starts a fresh testee, generates the figure's load on it from
// a worker process and returns the sample.
func (b *bench) measure(fig figure, testee string, extra []string) (sample, error) {
	srv, err := proc.Start(testee, b.binary(testee), serverCPU, extra...)
	if err != nil {
		return sample{}, err
	}
	defer srv.Stop()
	var s sample
	if fig.lower {
		// Let the process finish starting (Node's first collections).
		time.Sleep(500 * time.Millisecond)
		if s.RSSBefore, err = proc.RSSKiB(srv.PID); err != nil {
			return s, err
		}
	}
	wc := newWorkerConfig(fig, "ws://"+srv.Addr+fig.path, srv.PID)
	arg, _ := json.Marshal(wc)
	cmd := proc.Pinned(loadCPU, b.self, "-worker", string(arg))
	stderr := &proc.TailBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return s, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return s, err
	}
	if err := cmd.Start(); err != nil {
		return s, err
	}
	defer func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}()
	var res *workerResult
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "OPENED "):
			if !fig.lower {
				continue
			}
			s.Opened, _ = strconv.Atoi(strings.TrimPrefix(line, "OPENED "))
			s.RSSAfter, err = settledRSS(srv.PID, fig.settle)
			if len(extra) > 0 {
				// Profiling: the testee writes its heap profile as it
				// stops, which must be while it holds the connections.
				srv.Stop()
			}
			stdin.Close()
			if err != nil {
				return s, err
			}
		case strings.HasPrefix(line, "RESULT "):
			res = &workerResult{}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "RESULT ")), res); err != nil {
				return s, fmt.Errorf("worker result: %w", err)
			}
		}
	}
	if err := cmd.Wait(); err != nil || res == nil {
		select {
		case <-srv.Exited():
			return s, fmt.Errorf("the testee exited (stderr: %s); worker: %v %s", srv.Stderr(), err, stderr)
		default:
		}
		return s, fmt.Errorf("worker: %v (stderr: %s)", err, stderr)
	}
	rep := res.Report
	s.Errors, s.ErrorText = rep.Errors, rep.ErrorSamples
	if fig.lower && len(extra) > 0 {
		s.Errors, s.ErrorText = 0, nil // the testee stopped first, on purpose
	}
	s.Opened = rep.Opened
	s.OtherCPU = res.OtherCPU
	if fig.lower {
		if s.Opened > 0 {
			s.Value = float64(s.RSSAfter-s.RSSBefore) / float64(s.Opened)
		}
		if s.Opened < fig.cfg.Conns {
			s.Errors += int64(fig.cfg.Conns - s.Opened)
		}
		return s, nil
	}
	s.Value = rep.Throughput
	s.P50, s.P99, s.P999, s.Max = rep.Latency.P50, rep.Latency.P99, rep.Latency.P999, rep.Latency.Max
	s.ConnMin, s.ConnMax, s.ConnMean = rep.PerConn.Min, rep.PerConn.Max, rep.PerConn.Mean
	s.ServerCPU, s.LoadCPU, s.OtherCPU = res.ServerCPU, res.LoadCPU, res.OtherCPU
	return s, nil
}

// settledRSS waits at least settle, then until the resident set of pid
// stops changing (two readings half a second apart within 1 %), at most
// ten seconds more, and returns it.
func settledRSS(pid int, settle time.Duration) (int64, error) {
	time.Sleep(settle)
	prev, err := proc.RSSKiB(pid)
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		cur, err := proc.RSSKiB(pid)
		if err != nil {
			return 0, err
		}
		if d := cur - prev; d*100 <= prev && -d*100 <= prev {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

// profile runs every figure once more for Duplex, with CPU and heap
// profiles written into dir.
func (b *bench) profile(dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Print(err)
		return
	}
	for _, fig := range b.plan.figures {
		cpu := filepath.Join(dir, "duplex-"+fig.key+".cpu.pprof")
		heap := filepath.Join(dir, "duplex-"+fig.key+".heap.pprof")
		s, err := b.measure(fig, reference, []string{"--cpuprofile", cpu, "--memprofile", heap})
		if err != nil {
			log.Printf("profile %s: %v", fig.key, err)
			continue
		}
		log.Printf("profiled %-8s %s: %s, %s", fig.key, s.summary(fig), cpu, heap)
		b.profiles = append(b.profiles, cpu, heap)
	}
}

// moduleDir returns the directory of the bench module, which must be the
// module of the working directory.
func moduleDir() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	data, err := os.ReadFile(gomod)
	if err != nil || !strings.Contains(string(data), "module github.com/duplexrt/duplex/bench\n") {
		return "", errors.New("run from the bench directory (bench/run does)")
	}
	return filepath.Dir(gomod), nil
}

func inDir(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// loadAverage returns the 1, 5 and 15 minute load averages.
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
