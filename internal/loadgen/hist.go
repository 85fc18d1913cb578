package loadgen

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The latency histogram is log-linear: exact below 64 ns, then 32
// buckets for every power of two, so that a bucket's width is at most
// 1/32 of its values (about 3 %). Values are nanoseconds, up to 2^40
// (18 minutes); larger ones land in the last bucket.
const (
	histLinear = 64
	histSub    = 32
	histMaxBit = 40
	histSize   = histLinear + (histMaxBit-5)*histSub
)

func histIndex(v int64) int {
	if v < histLinear {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	u := uint64(v)
	msb := bits.Len64(u) - 1 // >= 6
	if msb >= histMaxBit {
		return histSize - 1
	}
	shift := msb - 5 // u>>shift is in [32, 64)
	return histLinear + (shift-1)*histSub + int(u>>shift) - histSub
}

// histValue returns the middle of bucket i.
func histValue(i int) int64 {
	if i < histLinear {
		return int64(i)
	}
	shift := (i-histLinear)/histSub + 1
	sub := (i-histLinear)%histSub + histSub
	lo := int64(sub) << shift
	return lo + int64(1)<<shift/2
}

// histogram counts latencies. Record may be called from any number of
// goroutines.
type histogram struct {
	counts [histSize]atomic.Int64
	max    atomic.Int64
	sum    atomic.Int64
	n      atomic.Int64
}

func (h *histogram) record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[histIndex(v)].Add(1)
	h.sum.Add(v)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// Latency summarizes a latency distribution. Durations are in
// nanoseconds in JSON.
type Latency struct {
	Count int64         `json:"count"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}

// summarize merges hs and returns the percentiles.
func summarize(hs []*histogram) Latency {
	var counts [histSize]int64
	var l Latency
	var sum int64
	for _, h := range hs {
		for i := range counts {
			counts[i] += h.counts[i].Load()
		}
		l.Count += h.n.Load()
		sum += h.sum.Load()
		if m := time.Duration(h.max.Load()); m > l.Max {
			l.Max = m
		}
	}
	if l.Count == 0 {
		return l
	}
	l.Mean = time.Duration(sum / l.Count)
	quantile := func(q float64) time.Duration {
		rank := int64(q*float64(l.Count) + 0.5)
		if rank < 1 {
			rank = 1
		}
		var seen int64
		for i, c := range counts {
			seen += c
			if seen >= rank {
				v := time.Duration(histValue(i))
				if v > l.Max {
					v = l.Max
				}
				return v
			}
		}
		return l.Max
	}
	l.P50 = quantile(0.50)
	l.P90 = quantile(0.90)
	l.P99 = quantile(0.99)
	l.P999 = quantile(0.999)
	return l
}
