package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// loseMargin is how much worse than a peer Duplex must be for the
// comparison to count as lost.
const loseMargin = 1.05

// writeLosses lists every comparison in which Duplex is more than 5 %
// slower than a peer, allocates more per operation, or holds more memory
// per connection, and says which differences lie within the spread of
// the rounds.
func writeLosses(w io.Writer, all []*result) {
	var lines []string
	noisy := func(d, p *result, unit string) string {
		if math.Abs(d.medianOr(unit)/p.medianOr(unit)-1) <= max(d.spread(unit), p.spread(unit)) {
			return " (within the spread of the rounds)"
		}
		return ""
	}
	for _, d := range all {
		if d.lib != reference {
			continue
		}
		for _, p := range all {
			if p.lib == reference || p.bench != d.bench || p.mode != d.mode || p.size != d.size {
				continue
			}
			name := "`" + strings.Join(nonEmpty(d.bench, d.mode, d.size), "/") + "` vs " + p.lib
			if d.bench == idleBench {
				for _, m := range []struct{ unit, what string }{
					{"bytes/conn", "idle"}, {"active-bytes/conn", "right after a message"},
				} {
					dv, pv := d.medianOr(m.unit), p.medianOr(m.unit)
					if pv > 0 && dv > loseMargin*pv {
						lines = append(lines, fmt.Sprintf("%s: %s per connection %s, %s for the peer (%.2f×)%s",
							name, bytesize(dv), m.what, bytesize(pv), dv/pv, noisy(d, p, m.unit)))
					}
				}
				continue
			}
			dn, pn := d.medianOr("ns/op"), p.medianOr("ns/op")
			if pn > 0 && dn > loseMargin*pn {
				lines = append(lines, fmt.Sprintf("%s: %.2f× slower (%.0f vs %.0f ns/op)%s",
					name, dn/pn, dn, pn, noisy(d, p, "ns/op")))
			}
			if da, pa := d.medianOr("allocs/op"), p.medianOr("allocs/op"); da > pa {
				lines = append(lines, fmt.Sprintf("%s: %s allocs/op vs %s", name,
					num(d, "allocs/op", 1, 0), num(p, "allocs/op", 1, 0)))
			}
		}
	}
	fmt.Fprintf(w, "## Where Duplex loses\n\n")
	if len(lines) == 0 {
		fmt.Fprintf(w, "In no comparison of this run is Duplex more than %.0f %% slower than a peer, "+
			"nor does it allocate more, nor hold more memory per connection.\n\n", 100*(loseMargin-1))
		return
	}
	fmt.Fprintf(w, "Every comparison of this run in which Duplex is more than %.0f %% slower than a peer, "+
		"allocates more per operation, or holds more than %.0f %% more memory per connection:\n\n",
		100*(loseMargin-1), 100*(loseMargin-1))
	for _, l := range lines {
		fmt.Fprintf(w, "- %s\n", l)
	}
	fmt.Fprintln(w)
}

// nonEmpty returns the non-empty strings of ss.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
