package bench

import (
	"testing"
)

// TestIdleHarness runs MeasureIdle with a few connections and no settling
// for every library and mode: each server must answer the hand-made
// handshake with the extension the mode asks for, and echo the raw
// client's message, compressed when negotiated, byte for byte.
func TestIdleHarness(t *testing.T) {
	for _, lib := range Libraries() {
		for _, mode := range lib.Modes {
			t.Run(lib.Name+"/"+string(mode), func(t *testing.T) {
				res, err := MeasureIdle(lib, mode, 3, 0)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("negotiated %q", res.Extensions)
			})
		}
	}
}

// BenchmarkIdleConn measures the memory an idle server connection holds,
// heap and goroutine stacks, per library and compression mode, the same
// way for all: see MeasureIdle. bytes/conn is measured IdleSettle after
// the last echo, active-bytes/conn right after it, and setup-bytes is
// what the server held before its first connection; conns, msg-bytes and
// settle-s repeat the parameters of the measurement. Each iteration takes
// more than IdleSettle; run it with -benchtime 1x.
func BenchmarkIdleConn(b *testing.B) {
	for _, lib := range Libraries() {
		b.Run(lib.Name, func(b *testing.B) {
			for _, mode := range lib.Modes {
				b.Run(string(mode), func(b *testing.B) {
					var res IdleResult
					for range b.N {
						var err error
						if res, err = MeasureIdle(lib, mode, IdleConns, IdleSettle); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(0, "ns/op") // the time says nothing here
					b.ReportMetric(res.Idle, "bytes/conn")
					b.ReportMetric(res.Active, "active-bytes/conn")
					b.ReportMetric(float64(res.Setup), "setup-bytes")
					// The parameters, for the report.
					b.ReportMetric(IdleConns, "conns")
					b.ReportMetric(IdleMessageSize, "msg-bytes")
					b.ReportMetric(IdleSettle.Seconds(), "settle-s")
				})
			}
		})
	}
}
