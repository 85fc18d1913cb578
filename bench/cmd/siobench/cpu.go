package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times of /proc, which is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTimes is a reading of the CPU time used so far, in ticks.
type cpuTimes struct {
	server, self, busy int64
	ok                 bool // every file could be read
}

// cpuUse is CPU used over a measurement, in cores (1.0 is one CPU busy
// all the time).
type cpuUse struct {
	Server float64 `json:"server_cpu"`
	Load   float64 `json:"load_cpu"`  // this process, the load generator
	Other  float64 `json:"other_cpu"` // the rest of the machine
}

// readCPU reads the CPU time of process pid, of this process and of the
// whole machine (all but idle and iowait).
func readCPU(pid int) cpuTimes {
	var t cpuTimes
	var err1, err2, err3 error
	t.server, err1 = procTicks(fmt.Sprintf("/proc/%d/stat", pid))
	t.self, err2 = procTicks("/proc/self/stat")
	t.busy, err3 = busyTicks()
	t.ok = err1 == nil && err2 == nil && err3 == nil
	return t
}

// since returns the CPU used between t0 and t, elapsed apart.
func (t cpuTimes) since(t0 cpuTimes, elapsed time.Duration) cpuUse {
	if !t.ok || !t0.ok || elapsed <= 0 {
		return cpuUse{}
	}
	cores := func(ticks int64) float64 { return float64(ticks) / clockTicks / elapsed.Seconds() }
	srv, self := t.server-t0.server, t.self-t0.self
	return cpuUse{Server: cores(srv), Load: cores(self), Other: max(0, cores(t.busy-t0.busy-srv-self))}
}

// procTicks returns utime+stime of a /proc/PID/stat file.
func procTicks(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: no command name", path)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: too few fields", path)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s: bad times", path)
	}
	return u + st, nil
}

// busyTicks returns the ticks all CPUs spent other than idle or waiting
// for I/O, from /proc/stat.
func busyTicks() (int64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for i, s := range f[1:] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %v", err)
		}
		// Fields: user nice system idle iowait irq softirq steal guest
		// guest_nice; guest time is counted in user already.
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		busy += v
	}
	return busy, nil
}
