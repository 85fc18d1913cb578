package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// pinned returns the command that runs name with args on cpu, through
// taskset when there is one.
func pinned(cpu int, name string, args ...string) *exec.Cmd {
	if tasksetPath != "" && cpu >= 0 {
		return exec.Command(tasksetPath, append([]string{"-c", strconv.Itoa(cpu), name}, args...)...)
	}
	return exec.Command(name, args...)
}

var tasksetPath, _ = exec.LookPath("taskset")

// lockedBuffer keeps the last bytes a process wrote, for error messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 8<<10 {
		b.buf = b.buf[len(b.buf)-4<<10:]
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(string(b.buf))
}

// server is a running testee.
type server struct {
	name   string
	cmd    *exec.Cmd
	pid    int
	addr   string
	stderr *lockedBuffer
	exited chan struct{}
}

// freePort returns a port of 127.0.0.1 that nobody listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts the testee bin on cpu with extra arguments and
// waits for its PID line and its listener.
func startServer(name, bin string, cpu int, extra ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := pinned(cpu, bin, append([]string{"--port", strconv.Itoa(port)}, extra...)...)
	s := &server{name: name, cmd: cmd, addr: fmt.Sprintf("127.0.0.1:%d", port), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		cmd.Wait()
		close(s.exited)
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
		if _, err := fmt.Sscanf(l, "PID %d", &s.pid); err != nil {
			s.stop()
			return nil, fmt.Errorf("%s: first line %q, want \"PID <pid>\" (stderr: %s)", name, l, s.stderr)
		}
	case <-time.After(20 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s: no PID line within 20 s (stderr: %s)", name, s.stderr)
	}
	if s.pid != cmd.Process.Pid {
		// A wrapper that did not exec: the PID line is the server's.
		fmt.Fprintf(os.Stderr, "serverbench: %s: PID %d is not the process started (%d); memory is read from %d\n", name, s.pid, cmd.Process.Pid, s.pid)
	}
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			s.stop()
			return nil, fmt.Errorf("%s: not listening on %s: %v", name, s.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s, nil
}

// stop ends the testee: SIGTERM, then SIGKILL after a while.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// rssKiB returns the resident set size of pid (VmRSS), in KiB.
func rssKiB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseRSS(data)
}

func parseRSS(status []byte) (int64, error) {
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

// cpuTicks returns the user and system time of pid, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseTicks(data)
}

func parseTicks(stat []byte) (int64, error) {
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

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// busyTicks returns the ticks that all CPUs together spent on anything
// but idling and waiting for I/O, from /proc/stat.
func busyTicks() (int64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseBusy(data)
}

func parseBusy(stat []byte) (int64, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0, errors.New("bad /proc/stat")
	}
	var busy int64
	// user nice system idle iowait irq softirq steal
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

// waitQuiet waits until the machine's CPUs are busy for less than a
// tenth of a core over a second, at most limit, and reports whether
// they were.
func waitQuiet(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		b0, err := busyTicks()
		if err != nil {
			return true
		}
		time.Sleep(time.Second)
		b1, _ := busyTicks()
		if float64(b1-b0)/clockTicks < 0.1 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
