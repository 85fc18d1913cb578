package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// bytesize formats a number of bytes in B, KiB or MiB.
func bytesize(v float64) string {
	switch a := math.Abs(v); {
	case a >= 10<<20:
		return fmt.Sprintf("%.0f MiB", v/(1<<20))
	case a >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case a >= 10<<10:
		return fmt.Sprintf("%.0f KiB", v/(1<<10))
	case a >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

// writeCompressedSection writes the tables of BenchmarkEchoCompressed:
// every library and mode per size, then Duplex against each peer in the
// same mode.
func writeCompressedSection(w io.Writer, bench string, all []*result) {
	sec := sections[bench]
	var rs []*result
	var sizes, modes []string
	for _, r := range all {
		if r.bench != bench {
			continue
		}
		rs = append(rs, r)
		if !slices.Contains(sizes, r.size) {
			sizes = append(sizes, r.size)
		}
		if !slices.Contains(modes, r.mode) {
			modes = append(modes, r.mode)
		}
	}
	libs := append([]string{reference}, peersOf(rs)...)
	fmt.Fprintf(w, "## %s (`Benchmark%s`)\n\n%s\n\n", sec.title, bench, sec.about)
	fmt.Fprintf(w, "| size | library | mode | ns/op | spread | MB/s | wire B/msg | B/op | allocs/op | vs off |\n")
	fmt.Fprintf(w, "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, size := range sizes {
		for _, lib := range libs {
			off := find(rs, bench, lib, "off", size)
			for _, mode := range modes {
				r := find(rs, bench, lib, mode, size)
				if r == nil {
					continue
				}
				name := lib
				if lib == reference {
					name = "**" + lib + "**"
				}
				wire := "–"
				if wb, ok := r.median("wire-B/msg"); ok {
					wire = fmt.Sprintf("%.0f", wb)
					if payload := sizeBytes(size); payload > 0 {
						wire += fmt.Sprintf(" (%.0f%%)", 100*wb/payload)
					}
				}
				vsOff := "–"
				if off != nil && mode != "off" {
					vsOff = fmt.Sprintf("%.1f×", r.medianOr("ns/op")/off.medianOr("ns/op"))
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f%% | %s | %s | %s | %s | %s |\n", size, name, mode,
					num(r, "ns/op", 1, 0), 100*r.spread("ns/op"), throughput(r, false), wire,
					num(r, "B/op", 1, 0), num(r, "allocs/op", 1, 0), vsOff)
			}
		}
	}
	fmt.Fprintln(w)

	peers := peersOf(rs)
	if len(peers) == 0 {
		return
	}
	fmt.Fprintf(w, "Duplex against each peer in the same mode (ns/op of Duplex ÷ ns/op of the peer; allocs/op of Duplex vs the peer; – where the peer lacks the mode):\n\n")
	fmt.Fprintf(w, "| size | mode |")
	for _, p := range peers {
		fmt.Fprintf(w, " vs %s: time | vs %s: allocs/op |", p, p)
	}
	fmt.Fprintf(w, "\n| --- | --- |%s\n", strings.Repeat(" ---: | ---: |", len(peers)))
	for _, size := range sizes {
		for _, mode := range modes {
			d := find(rs, bench, reference, mode, size)
			if d == nil {
				continue
			}
			fmt.Fprintf(w, "| %s | %s |", size, mode)
			for _, p := range peers {
				r := find(rs, bench, p, mode, size)
				if r == nil {
					fmt.Fprintf(w, " – | – |")
					continue
				}
				fmt.Fprintf(w, " %s | %s vs %s |", ratio(d.medianOr("ns/op"), r.medianOr("ns/op")),
					num(d, "allocs/op", 1, 0), num(r, "allocs/op", 1, 0))
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
}

// sizeBytes parses a size name (16B, 1KiB, 64KiB, 1MiB), or returns 0.
func sizeBytes(name string) float64 {
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if v, ok := strings.CutSuffix(name, u.suffix); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0
			}
			return n * u.mult
		}
	}
	return 0
}

// writeIdleSection writes the tables of BenchmarkIdleConn.
func writeIdleSection(w io.Writer, all []*result) {
	sec := sections[idleBench]
	var rs []*result
	var modes []string
	for _, r := range all {
		if r.bench != idleBench {
			continue
		}
		rs = append(rs, r)
		if !slices.Contains(modes, r.mode) {
			modes = append(modes, r.mode)
		}
	}
	libs := append([]string{reference}, peersOf(rs)...)
	fmt.Fprintf(w, "## %s (`Benchmark%s`)\n\n%s\n\n", sec.title, idleBench, sec.about)
	if len(rs) > 0 {
		if conns, ok := rs[0].median("conns"); ok {
			fmt.Fprintf(w, "Each measurement: %.0f connections, a message of %s, %.0f s of idling before *idle* is measured.\n\n",
				conns, bytesize(rs[0].medianOr("msg-bytes")), rs[0].medianOr("settle-s"))
		}
	}
	fmt.Fprintf(w, "| library | mode | idle, per connection | spread | right after, per connection | server setup |\n")
	fmt.Fprintf(w, "| --- | --- | ---: | ---: | ---: | ---: |\n")
	for _, lib := range libs {
		for _, mode := range modes {
			r := find(rs, idleBench, lib, mode, "")
			if r == nil {
				continue
			}
			name := lib
			if lib == reference {
				name = "**" + lib + "**"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %.0f%% | %s | %s |\n", name, mode,
				bytesize(r.medianOr("bytes/conn")), 100*r.spread("bytes/conn"),
				bytesize(r.medianOr("active-bytes/conn")), bytesize(r.medianOr("setup-bytes")))
		}
	}
	fmt.Fprintln(w)

	peers := peersOf(rs)
	if len(peers) == 0 {
		return
	}
	fmt.Fprintf(w, "Duplex against each peer in the same mode (bytes per connection of Duplex ÷ the peer's, idle and right after a message; – where the peer lacks the mode):\n\n")
	fmt.Fprintf(w, "| mode |")
	for _, p := range peers {
		fmt.Fprintf(w, " vs %s: idle | vs %s: right after |", p, p)
	}
	fmt.Fprintf(w, "\n| --- |%s\n", strings.Repeat(" ---: | ---: |", len(peers)))
	for _, mode := range modes {
		d := find(rs, idleBench, reference, mode, "")
		if d == nil {
			continue
		}
		fmt.Fprintf(w, "| %s |", mode)
		for _, p := range peers {
			r := find(rs, idleBench, p, mode, "")
			if r == nil {
				fmt.Fprintf(w, " – | – |")
				continue
			}
			fmt.Fprintf(w, " %s | %s |", memRatio(d.medianOr("bytes/conn"), r.medianOr("bytes/conn")),
				memRatio(d.medianOr("active-bytes/conn"), r.medianOr("active-bytes/conn")))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// memRatio formats d/p with a word saying which side is leaner.
func memRatio(d, p float64) string {
	if p <= 0 {
		return "–"
	}
	x := d / p
	switch {
	case x < 0.995:
		return fmt.Sprintf("%.2f (Duplex %.2f× leaner)", x, p/d)
	case x > 1.005:
		return fmt.Sprintf("%.2f (Duplex %.2f× bigger)", x, x)
	}
	return fmt.Sprintf("%.2f (even)", x)
}
