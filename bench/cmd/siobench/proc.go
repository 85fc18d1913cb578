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
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A testee is a server process under test.
type testee struct {
	name   string
	addr   string // 127.0.0.1:port
	pid    int    // the server's own process, from its PID line
	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan struct{}
}

// tasksetPath is taskset(1), or "" where there is none.
var tasksetPath, _ = exec.LookPath("taskset")

// pinned returns a command that runs name on CPU cpu when taskset is
// there and cpu is not negative.
func pinned(cpu int, name string, args ...string) *exec.Cmd {
	if tasksetPath != "" && cpu >= 0 {
		return exec.Command(tasksetPath, append([]string{"-c", strconv.Itoa(cpu), name}, args...)...)
	}
	return exec.Command(name, args...)
}

// pinSelf moves every thread of this process to CPU cpu and sizes the Go
// scheduler to it. Threads started later inherit the affinity of the
// thread that starts them.
func pinSelf(cpu int) error {
	if tasksetPath == "" {
		return errors.New("no taskset")
	}
	out, err := exec.Command(tasksetPath, "-a", "-p", "-c", strconv.Itoa(cpu), strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset: %v: %s", err, out)
	}
	runtime.GOMAXPROCS(1)
	return nil
}

// startTestee starts bin pinned to cpu with extra arguments, on a free
// port, and waits for its PID line and its listener.
func startTestee(name, bin string, cpu int, extra ...string) (*testee, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := pinned(cpu, bin, append([]string{"--port", strconv.Itoa(port)}, extra...)...)
	t := &testee{name: name, cmd: cmd, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), stderr: &lockedBuffer{}, exited: make(chan struct{})}
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
		if _, err := fmt.Sscanf(l, "PID %d", &t.pid); err != nil {
			t.stop()
			return nil, fmt.Errorf("%s: first line %q, want \"PID <pid>\" (stderr: %s)", name, l, t.stderr)
		}
	case <-time.After(20 * time.Second):
		t.stop()
		return nil, fmt.Errorf("%s: no PID line within 20 s (stderr: %s)", name, t.stderr)
	}
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", t.addr, time.Second)
		if err == nil {
			c.Close()
			return t, nil
		}
		if i == 100 {
			t.stop()
			return nil, fmt.Errorf("%s: not listening on %s: %v", name, t.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the testee: SIGTERM, then SIGKILL after a while.
func (t *testee) stop() {
	t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.exited:
	case <-time.After(5 * time.Second):
		t.cmd.Process.Kill()
		<-t.exited
	}
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

// lockedBuffer collects a testee's stderr.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 64<<10 {
		return len(p), nil // enough to say what went wrong
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}

// rssKiB returns the resident set size of pid (VmRSS), in KiB.
func rssKiB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}
