package proc

import (
	"os"
	"testing"
)

func TestParseProc(t *testing.T) {
	rss, err := ParseRSS([]byte("Name:\tduplex\nVmPeak:\t  10000 kB\nVmRSS:\t   7372 kB\nRssAnon:\t 3000 kB\n"))
	if err != nil || rss != 7372 {
		t.Errorf("VmRSS: %d, %v", rss, err)
	}
	if _, err := ParseRSS([]byte("Name:\tx\n")); err == nil {
		t.Error("no VmRSS accepted")
	}
	stat := "4242 (a (strange) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 3 0 100 0 0"
	if ticks, err := ParseTicks([]byte(stat)); err != nil || ticks != 287 {
		t.Errorf("ticks %d, %v", ticks, err)
	}
	if ticks, err := CPUTicks(os.Getpid()); err != nil || ticks < 0 {
		t.Errorf("own ticks %d, %v", ticks, err)
	}
	if rss, err := RSSKiB(os.Getpid()); err != nil || rss <= 0 {
		t.Errorf("own RSS %d, %v", rss, err)
	}
	busy, err := ParseBusy([]byte("cpu  100 2 30 5000 7 0 4 1 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"))
	if err != nil || busy != 137 {
		t.Errorf("busy %d, %v", busy, err)
	}
	if b, err := BusyTicks(); err != nil || b <= 0 {
		t.Errorf("machine busy %d, %v", b, err)
	}
}
