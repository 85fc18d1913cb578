package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
	"EchoCompressed": {
		title: "Echo with permessage-deflate",
		about: "BenchmarkEcho with JSON-like messages (`JSONLike` in `json.go`: arrays of chat-message objects, " +
			"generated deterministically) and each library's compression modes: *off*; *takeover*, context " +
			"takeover in both directions; *no-takeover*, server_no_context_takeover and client_no_context_takeover. " +
			"All negotiate 32 KiB windows (15 bits; gws is told so, its servers would pick 12 bits with context " +
			"takeover) and compress at each library's default level, flate's BestSpeed for all three. gorilla " +
			"supports only no context takeover and compresses with the standard library's compress/flate; Duplex " +
			"and gws use github.com/klauspost/compress/flate. The client cycles through a set of distinct " +
			"messages (`MessageSet`, at least 96 KiB in all), so a compressor's window holds earlier messages with " +
			"the same keys and words but never the message being sent. ns/op is one round trip, that is two " +
			"compressions and two decompressions, client and server sharing the machine's cores; MB/s counts the " +
			"payload once per round trip. *wire B/msg* is what one message takes on the wire, frame header " +
			"included, averaged over both directions and measured on a connection of its own; *vs off* divides " +
			"ns/op by the same library's ns/op without compression. Messages are binary, so that UTF-8 validation " +
			"(which gorilla does not do) stays out of the comparison.",
	},
	"IdleConn": {
		title: "Memory per idle connection",
		about: "A server of each library runs in the benchmark's process and hands every connection to a goroutine " +
			"of its own that reads in a loop and echoes (Duplex: `Read`/`Write`; gorilla: `ReadMessage`/`WriteMessage`; " +
			"gws: `go conn.ReadLoop()`, as its README shows), the handler having returned. Raw TCP clients " +
			"in the same process do the opening handshake by hand, offering `permessage-deflate; " +
			"client_max_window_bits` as browsers do (the mode is the server's choice), send one masked " +
			"JSON-like message, compressed with klauspost/compress/flate when compression was negotiated, and check " +
			"that the echo carries the same bytes; then everyone idles. *idle* is the heap and goroutine stacks in use " +
			"(`HeapInuse + StackInuse` after two `runtime.GC` calls, which also empty the `sync.Pool`s) a few seconds after the " +
			"last echo, minus the same before the first connection, divided by the number of connections; the wait is " +
			"the same for every library and longer than the 2 to 4 s after which Duplex's sweeper takes back the " +
			"compressor of a connection with context takeover that stopped writing. *right after* is the same " +
			"measure taken as soon as the last echo arrived: what a connection that wrote within the last two seconds " +
			"holds. *server setup* is what the server held before its first connection (listener, HTTP server, " +
			"upgrader). The figures include the clients' own `*net.TCPConn` objects, a few hundred bytes each, " +
			"alike for all libraries; kernel socket buffers are not counted. A message of 32 KiB or more fills the windows " +
			"that context takeover keeps, as on any connection that has exchanged that much. With context takeover " +
			"Duplex keeps only a copy of each window between messages and lends a pooled compressor to a " +
			"connection while it writes; gws keeps the windows too and shares a fixed pool of compressors among all " +
			"connections, priming one with the connection's window for every message. A Duplex connection with " +
			"context takeover that writes at least every two seconds keeps its compressor, so on a busy server " +
			"the *right after* column, not the *idle* one, is what such a connection costs.",
	},
}

// benchOrder is the order of the sections in the report; benchmarks not
// listed follow in the order they ran.
var benchOrder = []string{"Echo", "EchoCancelableContext", "ClientWrite", "EchoCompressed", idleBench}

// writeReport writes the Markdown report.
func writeReport(w io.Writer, dir, method string, results []*result) {
	results = slices.Clone(results)
	rank := func(bench string) int {
		if i := slices.Index(benchOrder, bench); i >= 0 {
			return i
		}
		return len(benchOrder)
	}
	slices.SortStableFunc(results, func(a, b *result) int { return rank(a.bench) - rank(b.bench) })
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
		"(of bytes per connection in the memory table) over the rounds. Each library runs with its own "+
		"default buffer sizes and the same 16 MiB read limit, and with compression off except in the "+
		"compression and memory sections. The ratio tables divide Duplex's figure by the peer's: "+
		"below 1.00 Duplex is faster or leaner, above 1.00 it is slower or bigger.", method)
	fmt.Fprintf(w, "\n\nThe harness is described in `doc.go`; `go test ./...` checks that every library's "+
		"echo returns the bytes it was sent, that every client's frames are masked, that each compressed "+
		"pair negotiates the mode asked for and puts fewer bytes on the wire, and that each idle server "+
		"echoes the raw clients' compressed message.\n\n")

	writeLosses(w, results)

	var benches []string
	for _, r := range results {
		if !slices.Contains(benches, r.bench) {
			benches = append(benches, r.bench)
		}
	}
	for _, b := range benches {
		switch b {
		case "EchoCompressed":
			writeCompressedSection(w, b, results)
		case idleBench:
			writeIdleSection(w, results)
		default:
			writeSection(w, b, results)
		}
	}
}

// peersOf returns the libraries other than the reference, in the order
// they appear.
func peersOf(rs []*result) []string {
	var peers []string
	for _, r := range rs {
		if r.lib != reference && !slices.Contains(peers, r.lib) {
			peers = append(peers, r.lib)
		}
	}
	return peers
}

// find returns the result of bench for lib, mode and size, or nil.
func find(all []*result, bench, lib, mode, size string) *result {
	for _, r := range all {
		if r.bench == bench && r.lib == lib && r.mode == mode && r.size == size {
			return r
		}
	}
	return nil
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
