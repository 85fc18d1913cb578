package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/duplexrt/duplex/bench/internal/proc"
	"github.com/duplexrt/duplex/internal/loadgen"
)

// workerConfig is the load a worker process generates; the runner passes
// it as JSON.
type workerConfig struct {
	URL             string        `json:"url"`
	Mode            loadgen.Mode  `json:"mode"`
	Conns           int           `json:"conns"`
	Publishers      int           `json:"publishers"`
	Size            int           `json:"size"`
	InFlight        int           `json:"inflight"`
	Binary          bool          `json:"binary"`
	Warmup          time.Duration `json:"warmup"`
	Duration        time.Duration `json:"duration"`
	DialConcurrency int           `json:"dial_concurrency"`
	ServerPID       int           `json:"server_pid"`
}

// workerResult is what a worker prints on its RESULT line.
type workerResult struct {
	Report *loadgen.Report `json:"report"`
	// ServerCPU and LoadCPU are the shares of one core that the server
	// and the load generator used during the measurement.
	ServerCPU float64 `json:"server_cpu"`
	LoadCPU   float64 `json:"load_cpu"`
	// OtherCPU is the CPU time, in cores, that everything else on the
	// machine used meanwhile.
	OtherCPU float64 `json:"other_cpu"`
}

func newWorkerConfig(fig figure, url string, serverPID int) workerConfig {
	c := fig.cfg
	return workerConfig{
		URL: url, Mode: c.Mode, Conns: c.Conns, Publishers: c.Publishers, Size: c.Size, InFlight: c.InFlight,
		Binary: c.Binary, Warmup: c.Warmup, Duration: c.Duration, DialConcurrency: c.DialConcurrency, ServerPID: serverPID,
	}
}

// selfCPU returns the user and system time of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runWorker generates the load of the JSON configuration arg. It prints
// "OPENED n" once the connections are open and, at the end,
// "RESULT {json}". An idle hold ends when standard input closes.
func runWorker(arg string, stdin io.Reader, stdout io.Writer) error {
	var wc workerConfig
	if err := json.Unmarshal([]byte(arg), &wc); err != nil {
		return fmt.Errorf("worker configuration: %w", err)
	}
	if _, err := loadgen.RaiseFileLimit(uint64(wc.Conns) + 64); err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	release := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stdin)
		close(release)
	}()
	var (
		serverStart, serverEnd int64
		busyStart, busyEnd     int64
		selfStart, selfEnd     time.Duration
		at, end                time.Time
	)
	cfg := loadgen.Config{
		URL: wc.URL, Mode: wc.Mode, Conns: wc.Conns, Publishers: wc.Publishers, Size: wc.Size,
		InFlight: wc.InFlight, Binary: wc.Binary, Warmup: wc.Warmup, Duration: wc.Duration,
		DialConcurrency: wc.DialConcurrency,
		LoopbackOnly:    true, // the harness drives this machine only
		Opened: func(n int) {
			fmt.Fprintf(out, "OPENED %d\n", n)
			out.Flush()
		},
		Measuring: func(started bool) {
			ticks, _ := proc.CPUTicks(wc.ServerPID)
			busy, _ := proc.BusyTicks()
			if started {
				serverStart, busyStart, selfStart, at = ticks, busy, selfCPU(), time.Now()
			} else {
				serverEnd, busyEnd, selfEnd, end = ticks, busy, selfCPU(), time.Now()
			}
		},
	}
	if wc.Mode == loadgen.ModeIdle {
		cfg.Release = release
	}
	rep, err := loadgen.Run(context.Background(), cfg)
	if err != nil {
		return err
	}
	res := workerResult{Report: rep}
	if d := end.Sub(at).Seconds(); d > 0 {
		res.ServerCPU = float64(serverEnd-serverStart) / proc.ClockTicks / d
		res.LoadCPU = (selfEnd - selfStart).Seconds() / d
		all := float64(busyEnd-busyStart) / proc.ClockTicks / d
		res.OtherCPU = max(0, all-res.ServerCPU-res.LoadCPU)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "RESULT %s\n", b)
	return out.Flush()
}

// workerMain is main for a worker process.
func workerMain(arg string) {
	if err := runWorker(arg, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "serverbench worker: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}
