package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrt/duplex/bench/internal/proc"
)

func TestPayload(t *testing.T) {
	p := appendPayload(nil, 'b', 12, 345, 64)
	if len(p) != 64 || !strings.HasPrefix(string(p), "b0012-0000000345-") {
		t.Fatalf("payload %q", p)
	}
	src, seq, ok := payloadFields(p, 'b')
	if !ok || src != 12 || seq != 345 {
		t.Fatalf("fields %d %d %v", src, seq, ok)
	}
	if _, _, ok := payloadFields(p, 'e'); ok {
		t.Fatal("kind not checked")
	}
	if _, _, ok := payloadFields([]byte("b00x2-0000000345-abc"), 'b'); ok {
		t.Fatal("non-digit accepted")
	}
	if string(appendPayload(nil, 'b', 12, 346, 64)) == string(p) {
		t.Fatal("payloads of two sequence numbers are equal")
	}
}

// TestBroadcastVerifies checks that a broadcast lost, reordered or
// damaged is an error.
func TestBroadcastVerifies(t *testing.T) {
	r := &broadcastRun{cfg: broadcastConfig{clients: 2, senders: 1, window: 2, payload: 64}}
	s := &sender{run: r, credits: make(chan struct{}, 2), counts: make([]atomic.Int32, 2)}
	r.senders = []*sender{s}
	b := &broadcastClient{run: r, next: make([]int64, 1)}
	packet := func(seq int64) []byte {
		p := append([]byte(broadcastPrefix), appendPayload(nil, 'b', 0, seq, 64)...)
		return append(p, `"]`...)
	}
	if err := b.event(nil, packet(0)); err != nil {
		t.Fatal(err)
	}
	if err := b.event(nil, packet(2)); err == nil || !strings.Contains(err.Error(), "lost or reordered") {
		t.Fatalf("broadcast 1 skipped: %v", err)
	}
	bad := packet(1)
	bad[len(bad)-3] ^= 1
	if err := b.event(nil, bad); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged broadcast: %v", err)
	}
	if err := b.event(nil, []byte(`42["other","x"]`)); err == nil {
		t.Fatal("unexpected event accepted")
	}
	if err := b.event(nil, packet(1)); err != nil {
		t.Fatal(err)
	}
	if r.delivered.Load() != 2 {
		t.Fatalf("%d deliveries counted, want 2", r.delivered.Load())
	}
}

func TestRefusesRemoteTargets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := connectAll(ctx, "192.0.2.1:80", 1, 1, newMonitor(), func(int) handler { return idleClient{} })
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("connectAll to a remote address: %v", err)
	}
}

// TestFigures runs every figure in a tiny configuration against each
// testee: every message must verify. The node testee needs node and
// bench/node's packages (make test-deps installs them); where they are
// missing the test skips it, except on CI, where it fails.
func TestFigures(t *testing.T) {
	dir, err := moduleDir()
	if err != nil {
		t.Fatal(err)
	}
	bins := map[string]string{"duplex": buildDuplexTestee(t, dir)}
	if reason := nodeMissing(dir); reason == "" {
		bins["node"] = filepath.Join(dir, "node", "sio-testee.sh")
	} else if os.Getenv("CI") == "true" {
		t.Errorf("node testee: %s (scripts/install-test-deps.sh installs it)", reason)
	} else {
		t.Logf("node testee skipped: %s", reason)
	}
	for _, name := range testees {
		bin, ok := bins[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			figures := []struct {
				name string
				run  func(ctx context.Context, tt *proc.Testee) (sample, error)
			}{
				{"bcast", func(ctx context.Context, tt *proc.Testee) (sample, error) {
					return runBroadcast(ctx, tt, broadcastConfig{clients: 20, senders: 3, window: 4, payload: 64, warmup: 200 * time.Millisecond, measure: time.Second, drain: 10 * time.Second})
				}},
				{"echo", func(ctx context.Context, tt *proc.Testee) (sample, error) {
					return runEcho(ctx, tt, echoConfig{clients: 20, payload: 32, warmup: 200 * time.Millisecond, measure: time.Second, drain: 10 * time.Second})
				}},
				{"idle", func(ctx context.Context, tt *proc.Testee) (sample, error) {
					return runIdle(ctx, tt, idleConfig{clients: 20, settle: 200 * time.Millisecond})
				}},
			}
			for _, fig := range figures {
				tt, err := proc.Start(name, bin, -1)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				s, err := fig.run(ctx, tt)
				cancel()
				tt.Stop()
				if err != nil {
					t.Fatalf("%s: %v (stderr: %s)", fig.name, err, tt.Stderr())
				}
				if s.Messages == 0 || s.Value == 0 && fig.name != "idle" {
					t.Fatalf("%s: nothing measured: %+v", fig.name, s)
				}
				if fig.name == "idle" && (s.RSSBefore == 0 || s.RSSAfter == 0) {
					t.Fatalf("idle: no RSS read: %+v", s)
				}
				t.Logf("%s: %s, %d messages verified", fig.name, s.summary(figure{key: fig.name}), s.Messages)
			}
		})
	}
}

// buildDuplexTestee builds the Duplex testee into the test's temporary
// directory: make bench-build is not part of make test.
func buildDuplexTestee(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sio-duplex")
	cmd := exec.Command("go", "build", "-o", bin, "./siotestee/duplex")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the duplex testee: %v\n%s", err, out)
	}
	return bin
}

// nodeMissing says what the node testee lacks, or "".
func nodeMissing(dir string) string {
	if _, err := exec.LookPath("node"); err != nil {
		return "no node on PATH"
	}
	if _, err := os.Stat(filepath.Join(dir, "node", "node_modules", "socket.io", "package.json")); err != nil {
		return "socket.io is not installed in bench/node (npm ci there)"
	}
	return ""
}
