// Package loadgen is a load generator for WebSocket servers that depends
// on no WebSocket library: it speaks RFC 6455 over raw TCP connections,
// with the opening handshake written by hand, frames masked once and
// reused, many messages in flight on every connection, and a reader per
// connection that parses frames from its own buffer.
//
// Every message it sends carries a header (see HeaderSize) with its
// stream, a sequence number, the time it was sent and a checksum, so
// that every message that comes back is verified: nothing lost, nothing
// corrupted, nothing out of order. Latency is measured for every
// message, and counts are kept per connection, so that unfair servers
// (some connections served, others starved) show.
//
// Three modes:
//
//   - Echo: Conns connections each keep InFlight messages of Size bytes
//     in flight against an echo server and count the round trips.
//   - Broadcast: Conns subscribers connect to a server that relays every
//     message to every subscriber (the sender included); the first
//     Publishers of them publish, each keeping InFlight messages that not
//     every subscriber has received yet, and deliveries are counted.
//   - Idle: Conns connections are opened and held for Duration.
//
// A run always ends by itself: after Warmup and Duration, or once
// Messages messages were sent, and it never waits more than a bounded
// time for connections, stragglers and closing handshakes. With
// LoopbackOnly it refuses targets outside 127.0.0.0/8 and ::1.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what a run does.
type Mode string

// Modes.
const (
	ModeEcho      Mode = "echo"
	ModeBroadcast Mode = "broadcast"
	ModeIdle      Mode = "idle"
)

// Config describes a run. The zero value of a field means its default.
type Config struct {
	// URL is the ws:// URL of the server.
	URL  string
	Mode Mode

	// Conns is the number of connections (echo, idle) or subscribers
	// (broadcast); default 1.
	Conns int
	// Publishers is how many of the broadcast subscribers publish;
	// default 1.
	Publishers int
	// Size is the payload size of every message, at least HeaderSize;
	// default 64.
	Size int
	// InFlight is the number of messages a connection (echo) or a
	// publisher (broadcast: messages not yet received by every
	// subscriber) keeps in flight; default 1.
	InFlight int
	// Rate limits the messages sent per second, over all connections or
	// publishers; 0 means no limit but the window.
	Rate float64
	// Binary sends binary messages; text otherwise (the payload is ASCII
	// either way).
	Binary bool

	// Warmup is sent and verified but not measured.
	Warmup time.Duration
	// Duration is the measurement (echo, broadcast) or the hold (idle);
	// default 10 s.
	Duration time.Duration
	// Messages, when positive, ends the measurement once that many
	// messages (echo round trips, broadcast publications) were sent in it.
	Messages int64

	// LoopbackOnly refuses a URL whose host is not a loopback address.
	LoopbackOnly bool
	// AllowOther makes messages without the load generator's header (a
	// server's welcome, say) count as Other instead of errors.
	AllowOther bool
	// Origin, when set, is sent as the Origin header.
	Origin string

	// DialConcurrency bounds the handshakes in progress; default 64.
	DialConcurrency int
	// DialTimeout bounds one connection's TCP connect and handshake;
	// default 10 s.
	DialTimeout time.Duration
	// DrainTimeout bounds the wait for the answers to the messages in
	// flight when sending stops; default 5 s.
	DrainTimeout time.Duration

	// Progress, when set, is called about once a second from a goroutine
	// of its own.
	Progress func(Progress)
	// Opened, when set, is called once every connection is open (or
	// failed), before the warm-up.
	Opened func(open int)
	// Release, when not nil, ends an idle hold early when closed.
	Release <-chan struct{}
	// Measuring, when set, is called as the measurement (or the idle
	// hold) starts, with true, and as it ends, with false, from the
	// goroutine that runs the load.
	Measuring func(started bool)
}

// Progress is a snapshot of a run in progress.
type Progress struct {
	Elapsed time.Duration
	Phase   string // "connecting", "warmup", "measuring", "draining", "holding", "closing"
	Open    int64  // connections open
	Rate    float64
	Errors  int64
}

// PerConn summarizes the messages each connection received during the
// measurement.
type PerConn struct {
	Conns int     `json:"conns"`
	Min   int64   `json:"min"`
	Max   int64   `json:"max"`
	Mean  float64 `json:"mean"`
}

// Report is the result of a run.
type Report struct {
	URL        string  `json:"url"`
	Mode       Mode    `json:"mode"`
	Conns      int     `json:"conns"`
	Publishers int     `json:"publishers,omitempty"`
	Size       int     `json:"size"`
	InFlight   int     `json:"inflight"`
	Rate       float64 `json:"rate"`
	Binary     bool    `json:"binary"`

	Opened      int           `json:"opened"`
	ConnectTime time.Duration `json:"connect_ns"`
	Warmup      time.Duration `json:"warmup_ns"`
	Duration    time.Duration `json:"duration_ns"` // measured (or held) time

	// Sent counts the messages sent during the measurement: echo
	// requests, or broadcast publications.
	Sent int64 `json:"sent"`
	// Received counts the messages received during the measurement:
	// echoes, or broadcast deliveries.
	Received int64 `json:"received"`
	// Throughput is Received per second.
	Throughput float64 `json:"throughput"`
	// SendRate is Sent per second.
	SendRate float64 `json:"send_rate"`
	// Bandwidth is the payload bytes received per second.
	Bandwidth float64 `json:"bandwidth"`

	Latency Latency `json:"latency"`
	PerConn PerConn `json:"per_conn"`

	// Other counts messages without the load generator's header.
	Other int64 `json:"other"`
	// Errors counts every failure: connections that failed or ended
	// early, messages lost, corrupted, out of order or unexpected.
	Errors       int64            `json:"errors"`
	ErrorKinds   map[string]int64 `json:"error_kinds,omitempty"`
	ErrorSamples []string         `json:"error_samples,omitempty"`
}

// Error kinds.
const (
	errConnect  = "connect"
	errClosed   = "closed"
	errProtocol = "protocol"
	errCorrupt  = "corrupt"
	errLost     = "lost"
	errOrder    = "order"
	errOther    = "unexpected"
	errWrite    = "write"
)

const maxSamples = 10

// run is the state of one run.
type run struct {
	cfg    Config
	target *target
	start  time.Time

	phase    atomic.Int32 // a phase* constant
	open     atomic.Int64
	received atomic.Int64 // measured receipts
	all      atomic.Int64 // every receipt, for progress
	sent     atomic.Int64 // measured sends
	budget   atomic.Int64 // messages still to send when Messages > 0
	other    atomic.Int64

	measureStart, measureEnd atomic.Int64

	stopSending chan struct{} // closed when sending stops
	stopOnce    sync.Once
	abort       context.CancelCauseFunc

	shards []*histogram
	chk    *checker

	errMu      sync.Mutex
	errCount   int64
	errKinds   map[string]int64
	errSamples []string
}

const (
	phaseConnecting = iota
	phaseWarmup
	phaseMeasure
	phaseDrain
	phaseClosing
)

var phaseNames = [...]string{"connecting", "warmup", "measuring", "draining", "closing"}

// now returns the nanoseconds since the run started.
func (r *run) now() int64 { return int64(time.Since(r.start)) }

// inMeasurement reports whether receipts count.
func (r *run) inMeasurement() bool { return r.phase.Load() == phaseMeasure }

// shard returns the latency histogram for connection id.
func (r *run) shard(id int) *histogram { return r.shards[id%len(r.shards)] }

// fail records an error of the given kind.
func (r *run) fail(kind string, format string, args ...any) {
	r.failN(kind, 1, format, args...)
}

func (r *run) failN(kind string, n int64, format string, args ...any) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	r.errCount += n
	r.errKinds[kind] += n
	if len(r.errSamples) < maxSamples {
		r.errSamples = append(r.errSamples, kind+": "+fmt.Sprintf(format, args...))
	}
}

func (r *run) errors() int64 {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.errCount
}

// stop ends sending.
func (r *run) stop() { r.stopOnce.Do(func() { close(r.stopSending) }) }

// A firstMeasured is the sequence number of a stream's first message
// sent in the measurement: only that message and later ones count as
// received in it, whatever the phase when they arrive. The stream's
// writer marks it; its zero value marks nothing yet.
type firstMeasured struct {
	next atomic.Uint64 // the sequence number plus one; 0 until marked
}

// mark records seq if no message was marked before.
func (f *firstMeasured) mark(seq uint64) {
	if f.next.Load() == 0 {
		f.next.Store(seq + 1)
	}
}

// includes reports whether message seq was sent in the measurement.
func (f *firstMeasured) includes(seq uint64) bool {
	n := f.next.Load()
	return n != 0 && seq+1 >= n
}

// take reserves up to n messages of the budget for messages sent in the
// measurement and returns how many may be sent.
func (r *run) take(n int, measured bool) int {
	if r.cfg.Messages <= 0 || !measured {
		return n
	}
	left := r.budget.Add(-int64(n))
	if left >= 0 {
		return n
	}
	got := int64(n) + left
	if got < 0 {
		got = 0
	}
	r.budget.Add(int64(n) - got)
	return int(got)
}

// ErrNoConnections is returned when no connection could be opened.
var ErrNoConnections = errors.New("loadgen: no connection could be opened")

// withDefaults validates cfg and fills in the defaults.
func withDefaults(cfg Config) (Config, error) {
	switch cfg.Mode {
	case ModeEcho, ModeBroadcast, ModeIdle:
	case "":
		cfg.Mode = ModeEcho
	default:
		return cfg, fmt.Errorf("loadgen: unknown mode %q (echo, broadcast or idle)", cfg.Mode)
	}
	if cfg.Conns <= 0 {
		cfg.Conns = 1
	}
	if cfg.Conns > maxStream {
		return cfg, fmt.Errorf("loadgen: at most %d connections", maxStream)
	}
	if cfg.Publishers <= 0 {
		cfg.Publishers = 1
	}
	if cfg.Mode == ModeBroadcast && cfg.Publishers > cfg.Conns {
		return cfg, fmt.Errorf("loadgen: %d publishers but %d subscribers", cfg.Publishers, cfg.Conns)
	}
	if cfg.Mode != ModeBroadcast {
		cfg.Publishers = 0
	}
	if cfg.Size == 0 {
		cfg.Size = 64
	}
	if cfg.Size < HeaderSize || cfg.Size > maxMessage {
		return cfg, fmt.Errorf("loadgen: message size %d outside %d to %d bytes", cfg.Size, HeaderSize, maxMessage)
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = 1
	}
	if cfg.Rate < 0 || cfg.Warmup < 0 || cfg.Duration < 0 || cfg.Messages < 0 {
		return cfg, errors.New("loadgen: negative rate, warm-up, duration or message count")
	}
	if cfg.Duration == 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.DialConcurrency <= 0 {
		cfg.DialConcurrency = 64
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 5 * time.Second
	}
	return cfg, nil
}

// Run runs the load described by cfg and returns its report. The error
// is for runs that could not start (a bad configuration, a refused or
// unreachable target); failures during the run are in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	t, err := resolveTarget(ctx, cfg.URL, cfg.LoopbackOnly)
	if err != nil {
		return nil, err
	}
	// The whole run is bounded: connecting, warm-up, measurement, drain
	// and closing each have a limit.
	limit := connectBudget(cfg) + cfg.Warmup + cfg.Duration + cfg.DrainTimeout + 2*closeWait + 10*time.Second
	ctx, cancelTimeout := context.WithTimeout(ctx, limit)
	defer cancelTimeout()
	ctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)

	shards := 16
	if cfg.Conns < shards {
		shards = cfg.Conns
	}
	r := &run{
		cfg:         cfg,
		target:      t,
		start:       time.Now(),
		stopSending: make(chan struct{}),
		abort:       abort,
		errKinds:    map[string]int64{},
	}
	for range shards {
		r.shards = append(r.shards, new(histogram))
	}
	r.budget.Store(cfg.Messages)
	if cfg.Mode != ModeIdle {
		r.chk = newChecker(cfg.Size)
	}
	if cfg.Progress != nil {
		done := make(chan struct{})
		defer close(done)
		go r.progress(ctx, done)
	}
	rep := &Report{
		URL: cfg.URL, Mode: cfg.Mode, Conns: cfg.Conns, Publishers: cfg.Publishers,
		Size: cfg.Size, InFlight: cfg.InFlight, Rate: cfg.Rate, Binary: cfg.Binary,
		Warmup: cfg.Warmup,
	}
	if cfg.Mode == ModeIdle {
		rep.Size, rep.InFlight = 0, 0
	}
	var conns []*wsConn
	switch cfg.Mode {
	case ModeEcho:
		conns, err = runEcho(ctx, r, rep)
	case ModeBroadcast:
		conns, err = runBroadcast(ctx, r, rep)
	case ModeIdle:
		conns, err = runIdle(ctx, r, rep)
	}
	if errors.Is(err, ErrNoConnections) {
		r.errMu.Lock()
		if len(r.errSamples) > 0 {
			err = fmt.Errorf("%w: %s", err, r.errSamples[0])
		}
		r.errMu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	r.finish(rep, conns)
	return rep, nil
}

// connectBudget bounds the time spent opening connections.
func connectBudget(cfg Config) time.Duration {
	waves := (cfg.Conns + cfg.DialConcurrency - 1) / cfg.DialConcurrency
	d := time.Duration(waves) * 20 * time.Millisecond
	return min(max(d, cfg.DialTimeout), 2*time.Minute)
}

// finish fills in the report's figures.
func (r *run) finish(rep *Report, conns []*wsConn) {
	rep.Opened = len(conns)
	start, end := r.measureStart.Load(), r.measureEnd.Load()
	if end > start {
		rep.Duration = time.Duration(end - start)
	}
	rep.Sent = r.sent.Load()
	rep.Received = r.received.Load()
	if s := rep.Duration.Seconds(); s > 0 {
		rep.Throughput = float64(rep.Received) / s
		rep.SendRate = float64(rep.Sent) / s
		rep.Bandwidth = rep.Throughput * float64(rep.Size)
	}
	rep.Latency = summarize(r.shards)
	if r.cfg.Mode != ModeIdle && len(conns) > 0 {
		pc := PerConn{Conns: len(conns), Min: conns[0].count, Max: conns[0].count}
		var sum int64
		for _, c := range conns {
			pc.Min = min(pc.Min, c.count)
			pc.Max = max(pc.Max, c.count)
			sum += c.count
		}
		pc.Mean = float64(sum) / float64(len(conns))
		rep.PerConn = pc
	}
	rep.Other = r.other.Load()
	r.errMu.Lock()
	rep.Errors = r.errCount
	if len(r.errKinds) > 0 {
		rep.ErrorKinds = r.errKinds
	}
	rep.ErrorSamples = r.errSamples
	r.errMu.Unlock()
}

// progress calls cfg.Progress once a second until done.
func (r *run) progress(ctx context.Context, done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, lastAt := r.all.Load(), time.Now()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case now := <-t.C:
			all := r.all.Load()
			p := Progress{
				Elapsed: now.Sub(r.start).Round(time.Second),
				Phase:   phaseNames[r.phase.Load()],
				Open:    r.open.Load(),
				Rate:    float64(all-last) / now.Sub(lastAt).Seconds(),
				Errors:  r.errors(),
			}
			if r.cfg.Mode == ModeIdle && p.Phase == "measuring" {
				p.Phase = "holding"
			}
			last, lastAt = all, now
			r.cfg.Progress(p)
		}
	}
}

// dialAll opens n connections, DialConcurrency at a time, and returns
// those that opened, in order of their index. Failures are recorded.
func (r *run) dialAll(ctx context.Context, n, bufSize int) []*wsConn {
	conns := make([]*wsConn, n)
	sem := make(chan struct{}, r.cfg.DialConcurrency)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			r.failN(errConnect, int64(n-i), "%v", context.Cause(ctx))
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			nc, leftover, err := dial(ctx, r.target, r.cfg.DialTimeout, r.cfg.Origin)
			if err != nil {
				r.fail(errConnect, "connection %d: %v", i, err)
				return
			}
			conns[i] = newWSConn(r, i, nc, leftover, bufSize)
			r.open.Add(1)
		}()
	}
	wg.Wait()
	var open []*wsConn
	for _, c := range conns {
		if c != nil {
			c.id = len(open)
			c.hist = r.shard(c.id)
			open = append(open, c)
		}
	}
	return open
}

// startReaders runs readLoop for every connection; the returned function
// waits for them, at most until closing has had its time.
func (r *run) startReaders(conns []*wsConn, h handler, died func(c *wsConn, err error)) (wait func()) {
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.open.Add(-1)
			err := c.readLoop(h)
			if err != nil {
				kind := errClosed
				var pe protocolError
				if errors.As(err, &pe) {
					kind = errProtocol
				}
				r.fail(kind, "connection %d: %v", c.id, err)
				if died != nil {
					died(c, err)
				}
			}
			c.nc.Close()
		}()
	}
	return wg.Wait
}

// closeAll starts the closing handshake on every connection and waits
// for the readers, then closes what is left.
func (r *run) closeAll(conns []*wsConn, wait func()) {
	r.phase.Store(phaseClosing)
	r.stop()
	for _, c := range conns {
		c.beginClose()
	}
	done := make(chan struct{})
	go func() {
		wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeWait + time.Second):
		for _, c := range conns {
			c.nc.Close()
		}
		<-done
	}
}

// measure runs the warm-up and the measurement, and returns when the
// measurement ends: after Duration, once the budget of Messages is spent
// and answered (allDone reports that), or when ctx ends.
func (r *run) measure(ctx context.Context, allDone func() bool) {
	r.phase.Store(phaseWarmup)
	if r.cfg.Warmup > 0 {
		select {
		case <-time.After(r.cfg.Warmup):
		case <-ctx.Done():
		}
	}
	r.measureStart.Store(r.now())
	r.phase.Store(phaseMeasure)
	r.measuring(true)
	deadline := time.NewTimer(r.cfg.Duration)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-deadline.C:
			break wait
		case <-ctx.Done():
			break wait
		case <-tick.C:
			if r.cfg.Messages > 0 && r.budget.Load() <= 0 && allDone() {
				break wait
			}
		}
	}
	r.measureEnd.Store(r.now())
	r.phase.Store(phaseDrain)
	r.measuring(false)
	r.stop()
}

// measuring calls cfg.Measuring, if set.
func (r *run) measuring(started bool) {
	if r.cfg.Measuring != nil {
		r.cfg.Measuring(started)
	}
}

// drain waits until allDone or DrainTimeout.
func (r *run) drain(ctx context.Context, allDone func() bool) {
	t := time.NewTimer(r.cfg.DrainTimeout)
	defer t.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !allDone() {
		select {
		case <-t.C:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sortedKinds returns the error kinds of m by name.
func sortedKinds(m map[string]int64) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}
