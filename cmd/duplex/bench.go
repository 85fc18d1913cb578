package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/duplexrt/duplex/internal/loadgen"
)

// benchOptions is what duplex bench's arguments decide.
type benchOptions struct {
	cfg  loadgen.Config
	json bool
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseBenchArgs(args, stderr)
	if err == errHelp {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := loadgen.RaiseFileLimit(uint64(o.cfg.Conns) + 64); err != nil {
		fmt.Fprintf(stderr, "warning: cannot raise the limit on open files: %v\n", err)
	}
	o.cfg.Progress = progressPrinter(stderr)
	rep, err := loadgen.Run(ctx, o.cfg)
	if err != nil {
		return err
	}
	endProgress(stderr)
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if rep.Errors > 0 {
		return fmt.Errorf("%d errors (see the report)", rep.Errors)
	}
	return nil
}

func parseBenchArgs(args []string, stderr io.Writer) (*benchOptions, error) {
	o := &benchOptions{}
	c := &o.cfg
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "echo", "echo, broadcast or idle")
	fs.IntVar(&c.Conns, "conns", 10, "connections (echo, idle) or subscribers (broadcast)")
	fs.IntVar(&c.Publishers, "publishers", 1, "broadcast: how many of the subscribers also publish")
	fs.IntVar(&c.Size, "size", 64, fmt.Sprintf("message size in bytes, at least %d", loadgen.HeaderSize))
	fs.IntVar(&c.InFlight, "inflight", 16, "messages in flight per connection (echo) or per publisher, until every subscriber has them (broadcast)")
	fs.Float64Var(&c.Rate, "rate", 0, "most messages sent per second, over all connections or publishers (0: no limit)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to measure (idle: to hold the connections); 1m by default with --messages")
	fs.Int64Var(&c.Messages, "messages", 0, "stop the measurement after this many messages sent (0: no count)")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "load before the measurement, not counted")
	fs.BoolVar(&c.Binary, "binary", false, "send binary messages instead of text")
	fs.StringVar(&c.Origin, "origin", "", "Origin header to send")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: duplex bench [flags] ws://HOST[:PORT]/PATH")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Drives a WebSocket server and reports throughput, latency and errors.")
		fmt.Fprintln(stderr, "  echo       every connection keeps --inflight messages in flight and checks each echo")
		fmt.Fprintln(stderr, "  broadcast  --publishers of the --conns subscribers publish; the server must relay")
		fmt.Fprintln(stderr, "             every message to every subscriber, the sender included")
		fmt.Fprintln(stderr, "  idle       open --conns connections and hold them for --duration")
		fmt.Fprintln(stderr, "Every message carries a sequence number, a send time and a checksum: each one")
		fmt.Fprintln(stderr, "that comes back is checked for loss, corruption and order. Messages without them")
		fmt.Fprintln(stderr, "(a server's welcome, say) are counted and ignored. A progress line goes to")
		fmt.Fprintln(stderr, "standard error once a second, the report to standard output. The run always")
		fmt.Fprintln(stderr, "ends by itself; the exit status is 1 if anything failed.")
		fs.PrintDefaults()
	}
	var url string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		if url != "" {
			return nil, benchUsageError(fs, stderr, "more than one URL: %q and %q", url, fs.Arg(0))
		}
		url = fs.Arg(0)
		args = fs.Args()[1:]
	}
	if url == "" {
		return nil, benchUsageError(fs, stderr, "no URL")
	}
	c.URL = url
	c.Mode = loadgen.Mode(*mode)
	switch c.Mode {
	case loadgen.ModeEcho, loadgen.ModeBroadcast, loadgen.ModeIdle:
	default:
		return nil, benchUsageError(fs, stderr, "unknown mode %q: echo, broadcast or idle", *mode)
	}
	if c.Messages > 0 && !flagGiven(fs, "duration") {
		c.Duration = time.Minute
	}
	if c.Mode == loadgen.ModeIdle {
		c.Warmup = 0
	}
	if c.Conns <= 0 || c.Size < loadgen.HeaderSize || c.InFlight <= 0 || c.Publishers <= 0 ||
		c.Rate < 0 || c.Duration <= 0 || c.Warmup < 0 || c.Messages < 0 {
		return nil, benchUsageError(fs, stderr, "--conns, --inflight and --publishers must be positive, --size at least %d, --duration positive, and the rest not negative", loadgen.HeaderSize)
	}
	// Other messages (a welcome) are counted, not failed: any server
	// may send them.
	c.AllowOther = true
	return o, nil
}

// progressPrinter returns a function that prints a progress line: over
// the previous one on a terminal, one per line otherwise.
func progressPrinter(w io.Writer) func(loadgen.Progress) {
	tty := isTerminal(w)
	return func(p loadgen.Progress) {
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", p)
		} else {
			fmt.Fprintln(w, p)
		}
	}
}

// endProgress ends a progress line left on a terminal.
func endProgress(w io.Writer) {
	if isTerminal(w) {
		fmt.Fprint(w, "\r\033[K")
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && !strings.HasPrefix(os.Getenv("TERM"), "dumb")
}

// benchUsageError says what is wrong with the arguments and prints the
// usage.
func benchUsageError(fs *flag.FlagSet, stderr io.Writer, format string, args ...any) error {
	fmt.Fprintf(stderr, "duplex bench: "+format+"\n", args...)
	fs.Usage()
	return errUsage
}
