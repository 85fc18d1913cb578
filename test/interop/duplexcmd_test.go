package interop_test

// Helpers for the tests of the duplex command (connect_test.go,
// chat_chromium_test.go): building it, and running duplex serve as a
// process that can be stopped with SIGTERM and started again.

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

const (
	// duplexBuildTimeout bounds go build of the command.
	duplexBuildTimeout = 3 * time.Minute

	// duplexServeTimeout bounds starting duplex serve and, after
	// SIGTERM, its graceful exit.
	duplexServeTimeout = 15 * time.Second
)

// buildDuplexBinary builds the duplex command into the test's temporary
// directory and returns its path.
func buildDuplexBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	exe := filepath.Join(t.TempDir(), "duplex")
	ctx, cancel := context.WithTimeout(context.Background(), duplexBuildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", exe, "github.com/duplexrt/duplex/cmd/duplex").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/duplex: %v\n%s", err, out)
	}
	return exe
}

// A duplexServer is a running duplex serve process.
type duplexServer struct {
	cmd    *exec.Cmd
	addr   string // host:port it listens on
	stderr syncBuffer
	exited chan struct{} // closed once the process was waited for
	err    error         // the process's exit; set before exited is closed
}

var duplexListening = regexp.MustCompile(`listening on https?://(\S+?)/`)

// startDuplexServe starts `duplex serve --addr addr` and waits until it
// listens. The process is killed at the end of the test if still running.
func startDuplexServe(t *testing.T, exe, addr string) *duplexServer {
	t.Helper()
	s := &duplexServer{
		cmd:    exec.Command(exe, "serve", "--addr", addr, "--log-level", "debug", "--shutdown-timeout", "5s"),
		exited: make(chan struct{}),
	}
	s.cmd.Stderr = &s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting duplex serve: %v", err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := duplexListening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case listening <- m[1]:
				default:
				}
			}
		}
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("duplex serve (%s) log:\n%s", addr, s.stderr.String())
		}
	})
	select {
	case s.addr = <-listening:
	case <-s.exited:
		t.Fatalf("duplex serve exited (%v) before listening:\n%s", s.err, s.stderr.String())
	case <-time.After(duplexServeTimeout):
		t.Fatalf("duplex serve did not listen within %v:\n%s", duplexServeTimeout, s.stderr.String())
	}
	return s
}

// stop sends SIGTERM and checks that the server exits with status 0.
func (s *duplexServer) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM to duplex serve: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(duplexServeTimeout):
		t.Fatalf("duplex serve still running %v after SIGTERM:\n%s", duplexServeTimeout, s.stderr.String())
	}
	if s.err != nil {
		t.Errorf("duplex serve exited with %v after SIGTERM, want status 0:\n%s", s.err, s.stderr.String())
	}
}
