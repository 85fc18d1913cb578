package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/internal/loadgen"
)

// runBenchCmd runs duplex bench with args and returns its exit status,
// standard output and standard error.
func runBenchCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, append([]string{"bench"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func benchJSON(t *testing.T, args ...string) *loadgen.Report {
	t.Helper()
	code, out, errOut := runBenchCmd(t, append([]string{"--json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var rep loadgen.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	return &rep
}

func checkLatency(t *testing.T, l loadgen.Latency, samples int64) {
	t.Helper()
	if l.Count != samples || l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max {
		t.Errorf("latency %+v for %d samples", l, samples)
	}
}

func TestBenchEchoJSON(t *testing.T) {
	url, _, _ := startEcho(t)
	rep := benchJSON(t, "--conns", "4", "--inflight", "4", "--size", "100", "--binary",
		"--duration", "500ms", "--warmup", "100ms", url+"/")
	if rep.Mode != loadgen.ModeEcho || rep.Conns != 4 || rep.Opened != 4 || rep.Size != 100 || !rep.Binary || rep.InFlight != 4 {
		t.Errorf("configuration not reported: %+v", rep)
	}
	if rep.Errors != 0 || rep.Received == 0 || rep.Throughput <= 0 || rep.Bandwidth != rep.Throughput*100 {
		t.Errorf("figures: %+v", rep)
	}
	if rep.Duration < 450*time.Millisecond || rep.Duration > 700*time.Millisecond || rep.Warmup != 100*time.Millisecond {
		t.Errorf("measured %v after %v", rep.Duration, rep.Warmup)
	}
	if rep.PerConn.Conns != 4 || rep.PerConn.Min <= 0 || rep.PerConn.Min > rep.PerConn.Max {
		t.Errorf("per connection: %+v", rep.PerConn)
	}
	checkLatency(t, rep.Latency, rep.Received)
}

func TestBenchEchoText(t *testing.T) {
	url, _, _ := startEcho(t)
	code, out, errOut := runBenchCmd(t, "--conns", "2", "--duration", "300ms", "--warmup", "0s", url+"/")
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, errOut)
	}
	for _, want := range []string{"echo " + url + "/: 2 connections", "64-byte text messages", "echoed", "messages/s",
		"p50 ", "p90 ", "p99 ", "p99.9 ", "max ", "per conn    min ", "errors      0"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchMessageCount(t *testing.T) {
	url, _, _ := startEcho(t)
	start := time.Now()
	// The URL may come before the flags.
	rep := benchJSON(t, url+"/", "--conns", "3", "--messages", "300", "--warmup", "0s")
	if rep.Sent != 300 || rep.Received != 300 || rep.Errors != 0 {
		t.Errorf("sent %d, received %d, errors %d", rep.Sent, rep.Received, rep.Errors)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("300 messages took %v", d)
	}
}

func TestBenchBroadcastChat(t *testing.T) {
	s := startChat(t, serveConfig{})
	rep := benchJSON(t, "--mode", "broadcast", "--conns", "5", "--inflight", "4", "--duration", "500ms", "--warmup", "100ms", s.wsURL())
	if rep.Mode != loadgen.ModeBroadcast || rep.Opened != 5 || rep.Publishers != 1 || rep.Errors != 0 {
		t.Fatalf("%+v", rep)
	}
	// The chat greets every subscriber; the welcome is not a load
	// generator's message.
	if rep.Other != 5 {
		t.Errorf("%d other messages, want the 5 welcomes", rep.Other)
	}
	if rep.Sent == 0 || rep.Received < 4*rep.Sent || rep.PerConn.Min == 0 {
		t.Errorf("published %d, delivered %d, per connection %+v", rep.Sent, rep.Received, rep.PerConn)
	}
	checkLatency(t, rep.Latency, rep.Received)
}

func TestBenchReportsFailures(t *testing.T) {
	// The chat refuses binary messages with 1003: every connection fails.
	s := startChat(t, serveConfig{})
	code, out, _ := runBenchCmd(t, "--mode", "broadcast", "--binary", "--conns", "2", "--duration", "300ms", "--warmup", "0s", s.wsURL())
	if code != 1 || !strings.Contains(out, "1003") {
		t.Errorf("exit status %d, report:\n%s", code, out)
	}
}

func TestBenchIdle(t *testing.T) {
	url, _, _ := startEcho(t)
	rep := benchJSON(t, "--mode", "idle", "--conns", "30", "--duration", "300ms", url+"/")
	if rep.Mode != loadgen.ModeIdle || rep.Opened != 30 || rep.Errors != 0 || rep.Duration < 300*time.Millisecond {
		t.Errorf("%+v", rep)
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--mode", "flood", "ws://127.0.0.1:1/"},
		{"--size", "10", "ws://127.0.0.1:1/"},
		{"--conns", "0", "ws://127.0.0.1:1/"},
		{"ws://127.0.0.1:1/", "ws://127.0.0.1:2/"},
	} {
		if code, _, errOut := runBenchCmd(t, args...); code != 2 || !strings.Contains(errOut, "usage: duplex bench") {
			t.Errorf("%q: exit status %d\n%s", args, code, errOut)
		}
	}
	if code, _, errOut := runBenchCmd(t, "--duration", "100ms", "ws://127.0.0.1:1/"); code != 1 || !strings.Contains(errOut, "no connection") {
		t.Errorf("closed port: exit status %d\n%s", code, errOut)
	}
}

func TestBenchProgressLine(t *testing.T) {
	var buf bytes.Buffer
	p := progressPrinter(&buf)
	p(loadgen.Progress{Elapsed: 2 * time.Second, Phase: "measuring", Open: 10, Rate: 123456, Errors: 1})
	p(loadgen.Progress{Elapsed: 3 * time.Second, Phase: "draining", Open: 10})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "10 open, 123,456 messages/s, 1 errors") {
		t.Errorf("progress:\n%s", buf.String())
	}
}
