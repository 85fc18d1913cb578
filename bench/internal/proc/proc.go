// Package proc starts the benchmarks' testee processes, pinned to a CPU,
// and reads what Linux's /proc says about their memory and CPU time.
package proc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// TasksetPath is taskset(1), or "" where there is none.
var TasksetPath, _ = exec.LookPath("taskset")

// Pinned returns the command that runs name with args on cpu, through
// taskset when there is one and cpu is not negative.
func Pinned(cpu int, name string, args ...string) *exec.Cmd {
	if TasksetPath != "" && cpu >= 0 {
		return exec.Command(TasksetPath, append([]string{"-c", strconv.Itoa(cpu), name}, args...)...)
	}
	return exec.Command(name, args...)
}

// A Testee is a running server process under test.
type Testee struct {
	Name string
	Addr string // 127.0.0.1:PORT
	PID  int    // the server's own process, from its PID line

	cmd    *exec.Cmd
	stderr *TailBuffer
	exited chan struct{}
}

// Start starts the testee bin on cpu with --port PORT (a free port) and
// extra arguments, and waits for its "PID <pid>" line and its listener.
func Start(name, bin string, cpu int, extra ...string) (*Testee, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := Pinned(cpu, bin, append([]string{"--port", strconv.Itoa(port)}, extra...)...)
	t := &Testee{Name: name, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, stderr: &TailBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = t.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		cmd.Wait()
		close(t.exited)
	}()
	line := make(chan string, 1)
	go func() {
		br := bufio.NewReader(out)
		l, _ := br.ReadString('\n')
		line <- l
		io.Copy(io.Discard, br)
	}()
	select {
	case l := <-line:
		if _, err := fmt.Sscanf(l, "PID %d", &t.PID); err != nil {
			t.Stop()
			return nil, fmt.Errorf("%s: first line %q, want \"PID <pid>\" (stderr: %s)", name, l, t.Stderr())
		}
	case <-time.After(20 * time.Second):
		t.Stop()
		return nil, fmt.Errorf("%s: no PID line within 20 s (stderr: %s)", name, t.Stderr())
	}
	if t.PID != cmd.Process.Pid {
		// A wrapper that did not exec: the PID line is the server's.
		fmt.Fprintf(os.Stderr, "%s: %s: PID %d is not the process started (%d); memory is read from %d\n",
			filepath.Base(os.Args[0]), name, t.PID, cmd.Process.Pid, t.PID)
	}
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", t.Addr, time.Second)
		if err == nil {
			c.Close()
			return t, nil
		}
		if i == 100 {
			t.Stop()
			return nil, fmt.Errorf("%s: not listening on %s: %v", name, t.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends the testee: SIGTERM, then SIGKILL after 5 s.
func (t *Testee) Stop() {
	t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.exited:
	case <-time.After(5 * time.Second):
		t.cmd.Process.Kill()
		<-t.exited
	}
}

// Exited is closed once the testee's process has exited.
func (t *Testee) Exited() <-chan struct{} { return t.exited }

// Stderr returns the last bytes the testee wrote to its standard error.
func (t *Testee) Stderr() string { return t.stderr.String() }

// freePort returns a port of 127.0.0.1 that nobody listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// A TailBuffer keeps the last bytes a process wrote, for error messages.
// It is safe for concurrent use.
type TailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

// Write appends p, dropping the oldest bytes past 8 KiB.
func (b *TailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 8<<10 {
		b.buf = b.buf[len(b.buf)-4<<10:]
	}
	return len(p), nil
}

// String returns the bytes kept, without surrounding space.
func (b *TailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(string(b.buf))
}

// RSSKiB returns the resident set size of pid (VmRSS), in KiB.
func RSSKiB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return ParseRSS(data)
}

// ParseRSS returns VmRSS, in KiB, from the contents of /proc/PID/status.
func ParseRSS(status []byte) (int64, error) {
	for _, line := range bytes.Split(status, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := strings.Fields(string(rest))
			if len(f) == 2 && f[1] == "kB" {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}

// ClockTicks is USER_HZ, the unit of the CPU times of /proc: 100 on
// every Linux architecture Go supports.
const ClockTicks = 100

// CPUTicks returns the user and system time of pid, in clock ticks; pid
// 0 means this process.
func CPUTicks(pid int) (int64, error) {
	path := "/proc/self/stat"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/stat", pid)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return ParseTicks(data)
}

// ParseTicks returns utime+stime from the contents of /proc/PID/stat.
func ParseTicks(stat []byte) (int64, error) {
	// The command name, field 2, may hold spaces: count from its ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("bad /proc/PID/stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("short /proc/PID/stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("bad times in /proc/PID/stat")
	}
	return u + s, nil
}

// BusyTicks returns the ticks that all CPUs together spent on anything
// but idling and waiting for I/O, from /proc/stat.
func BusyTicks() (int64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return ParseBusy(data)
}

// ParseBusy returns the busy ticks from the contents of /proc/stat.
func ParseBusy(stat []byte) (int64, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, errors.New("bad /proc/stat")
	}
	var busy int64
	// user nice system idle iowait irq softirq steal; guest time is
	// counted in user already.
	for i, v := range f[1:9] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, errors.New("bad /proc/stat")
		}
		busy += n
	}
	return busy, nil
}
