package loadgen

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the report for people.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	kind := "text"
	if rep.Binary {
		kind = "binary"
	}
	switch rep.Mode {
	case ModeIdle:
		fmt.Fprintf(&b, "idle %s: %d of %d connections opened in %v, held %v\n",
			rep.URL, rep.Opened, rep.Conns, round(rep.ConnectTime), round(rep.Duration))
	case ModeBroadcast:
		fmt.Fprintf(&b, "broadcast %s: %d subscribers (%d opened in %v), %d publishers, %d-byte %s messages, %d in flight per publisher",
			rep.URL, rep.Conns, rep.Opened, round(rep.ConnectTime), rep.Publishers, rep.Size, kind, rep.InFlight)
	default:
		fmt.Fprintf(&b, "echo %s: %d connections (%d opened in %v), %d-byte %s messages, %d in flight per connection",
			rep.URL, rep.Conns, rep.Opened, round(rep.ConnectTime), rep.Size, kind, rep.InFlight)
	}
	if rep.Mode != ModeIdle {
		if rep.Rate > 0 {
			fmt.Fprintf(&b, ", at most %s messages/s", count(rep.Rate))
		}
		fmt.Fprintf(&b, "\n  measured %v after a warm-up of %v\n", round(rep.Duration), round(rep.Warmup))
		if rep.Mode == ModeBroadcast {
			fmt.Fprintf(&b, "  published   %d messages, %s messages/s\n", rep.Sent, count(rep.SendRate))
			fmt.Fprintf(&b, "  delivered   %d messages, %s messages/s, %s/s of payload\n", rep.Received, count(rep.Throughput), bytesCount(rep.Bandwidth))
		} else {
			fmt.Fprintf(&b, "  sent        %d messages\n", rep.Sent)
			fmt.Fprintf(&b, "  echoed      %d messages, %s messages/s, %s/s of payload\n", rep.Received, count(rep.Throughput), bytesCount(rep.Bandwidth))
		}
		l := rep.Latency
		fmt.Fprintf(&b, "  latency     p50 %v  p90 %v  p99 %v  p99.9 %v  max %v  (mean %v, %d samples)\n",
			round(l.P50), round(l.P90), round(l.P99), round(l.P999), round(l.Max), round(l.Mean), l.Count)
		fmt.Fprintf(&b, "  per conn    min %d  max %d  mean %.0f messages\n", rep.PerConn.Min, rep.PerConn.Max, rep.PerConn.Mean)
	}
	if rep.Other > 0 {
		fmt.Fprintf(&b, "  other       %d messages without the load generator's header, ignored\n", rep.Other)
	}
	fmt.Fprintf(&b, "  errors      %d\n", rep.Errors)
	for _, k := range sortedKinds(rep.ErrorKinds) {
		fmt.Fprintf(&b, "    %-10s %d\n", k, rep.ErrorKinds[k])
	}
	for _, s := range rep.ErrorSamples {
		fmt.Fprintf(&b, "    e.g. %s\n", s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// round shortens d for display.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d
}

// count formats a rate such as 123456.7 as "123,457".
func count(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// bytesCount formats a byte rate in binary units.
func bytesCount(v float64) string {
	switch {
	case v >= 1<<30:
		return fmt.Sprintf("%.2f GiB", v/(1<<30))
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

// String formats a progress line.
func (p Progress) String() string {
	return fmt.Sprintf("%4v %-10s %d open, %s messages/s, %d errors", p.Elapsed, p.Phase, p.Open, count(p.Rate), p.Errors)
}
