// Package testeetest checks that a testee keeps the contract of package
// testee, with the load generator that the benchmark uses.
package testeetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/bench/internal/testee"
	"github.com/duplexrt/duplex/internal/loadgen"
)

// Check serves echo and broadcast on a loopback port and checks them.
func Check(t *testing.T, echo, broadcast http.Handler) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: testee.Mux(echo, broadcast)}
	go srv.Serve(ln)
	defer srv.Close()
	CheckAddr(t, ln.Addr().String())
}

// CheckAddr checks the testee listening at addr.
func CheckAddr(t *testing.T, addr string) {
	t.Helper()
	base := "ws://" + addr
	runs := []loadgen.Config{
		{URL: base + "/echo", Conns: 3, InFlight: 4, Size: 64},
		{URL: base + "/echo", Conns: 2, InFlight: 4, Size: 20000, Binary: true},
		{URL: base + "/echo", Conns: 1, InFlight: 2, Size: 100000, Binary: true},
		{URL: base + "/broadcast", Mode: loadgen.ModeBroadcast, Conns: 5, Publishers: 2, InFlight: 4, Size: 64, Binary: true},
		{URL: base + "/broadcast", Mode: loadgen.ModeBroadcast, Conns: 3, InFlight: 2, Size: 300},
		{URL: base + "/echo", Mode: loadgen.ModeIdle, Conns: 20, Duration: 100 * time.Millisecond},
	}
	for _, cfg := range runs {
		cfg.LoopbackOnly = true
		if cfg.Duration == 0 {
			cfg.Duration = 150 * time.Millisecond
		}
		cfg.DrainTimeout = 2 * time.Second
		rep, err := loadgen.Run(context.Background(), cfg)
		name := fmt.Sprintf("%s %s, %d conns, %d bytes", cfg.Mode, cfg.URL, cfg.Conns, cfg.Size)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rep.Errors != 0 || rep.Other != 0 || rep.Opened != cfg.Conns {
			t.Fatalf("%s: %d errors %v, %d other messages, %d opened", name, rep.Errors, rep.ErrorSamples, rep.Other, rep.Opened)
		}
		if cfg.Mode != loadgen.ModeIdle && (rep.Received == 0 || rep.PerConn.Min == 0) {
			t.Fatalf("%s: nothing received: %+v", name, rep)
		}
	}
}

// StartCommand runs a testee command with --port and waits for its PID
// line; the process is killed when the test ends.
func StartCommand(t *testing.T, name string, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(name, append(args, "--port", port)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
		io.Copy(io.Discard, out)
	}()
	select {
	case s := <-line:
		want := fmt.Sprintf("PID %d\n", cmd.Process.Pid)
		if s != want {
			t.Fatalf("first line %q, want %q", s, strings.TrimSpace(want))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no PID line within 20 s")
	}
	return addr
}
