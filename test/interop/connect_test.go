package interop_test

// The tests of `duplex connect` against servers nobody here wrote: Node.js
// ws (peers/echo_ws_server.js) and Python websockets
// (peers/echo_websockets_server.py). The binary is built and run as a user
// would: lines on stdin, messages on stdout, the close on stderr and in the
// exit status.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// connectRunTimeout bounds one run of duplex connect.
const connectRunTimeout = 30 * time.Second

func TestConnectToNodeWS(t *testing.T) {
	argv := append(nodeCommand(t), "echo_ws_server.js")
	testConnectAgainst(t, startPeer(t, "echo_ws_server.js", argv...))
}

func TestConnectToPythonWebsockets(t *testing.T) {
	argv := append(pythonCommand(t), "echo_websockets_server.py")
	testConnectAgainst(t, startPeer(t, "echo_websockets_server.py", argv...))
}

// connectRun is one finished run of duplex connect.
type connectRun struct {
	stdout, stderr string
	status         int
}

// runDuplexConnect runs duplex connect with args and stdin.
func runDuplexConnect(t *testing.T, exe, stdin string, args ...string) connectRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), connectRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, append([]string{"connect"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	run := connectRun{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		run.status = exit.ExitCode()
	default:
		t.Fatalf("duplex connect %q: %v; stderr:\n%s", args, err, run.stderr)
	}
	return run
}

// connectHandshake is what the peer reports first on each connection.
type connectHandshake struct {
	Path     string `json:"path"`
	Protocol string `json:"protocol"`
	Origin   string `json:"origin"`
	Header   string `json:"header"`
}

func testConnectAgainst(t *testing.T, peer *peerProc) {
	exe := buildDuplexBinary(t)
	port := peer.waitEvent(t, "", "listening", opTimeout).Port
	base := fmt.Sprintf("ws://127.0.0.1:%d", port)

	t.Run("TextHeadersSubprotocol", func(t *testing.T) {
		run := runDuplexConnect(t, exe, "hello\nsecond line \u2713\n",
			"--subprotocol", "other", "--subprotocol", "chat",
			"--origin", "http://example.test", "-H", "X-Duplex-Test: yes",
			"--grace", "500ms", base+"/room?x=1")
		if run.status != 0 {
			t.Fatalf("exit status %d; stderr:\n%s", run.status, run.stderr)
		}
		lines := strings.Split(strings.TrimSuffix(run.stdout, "\n"), "\n")
		if len(lines) != 3 {
			t.Fatalf("stdout has %d lines, want the handshake report and 2 echoes:\n%s", len(lines), run.stdout)
		}
		var hs connectHandshake
		if err := json.Unmarshal([]byte(lines[0]), &hs); err != nil {
			t.Fatalf("first line %q: %v", lines[0], err)
		}
		want := connectHandshake{Path: "/room?x=1", Protocol: "chat", Origin: "http://example.test", Header: "yes"}
		if hs != want {
			t.Errorf("the server saw %+v, want %+v", hs, want)
		}
		if lines[1] != "hello" || lines[2] != "second line \u2713" {
			t.Errorf("echoes %q, want the two lines", lines[1:])
		}
		for _, s := range []string{`(subprotocol "chat")`, "closed: 1000 (normal closure)"} {
			if !strings.Contains(run.stderr, s) {
				t.Errorf("stderr lacks %q:\n%s", s, run.stderr)
			}
		}
	})

	t.Run("Binary", func(t *testing.T) {
		run := runDuplexConnect(t, exe, "hello\n", "--binary", "--binary-format", "base64", "--grace", "500ms", base+"/")
		if run.status != 0 || !strings.HasSuffix(run.stdout, "\naGVsbG8=\n") {
			t.Errorf("exit status %d, stdout %q; want the echo in base64", run.status, run.stdout)
		}
	})

	t.Run("ServerClosesNormally", func(t *testing.T) {
		run := runDuplexConnect(t, exe, "close 1000 done\n", "--grace", "10s", base+"/")
		if run.status != 0 || !strings.Contains(run.stderr, `closed by server: 1000 (normal closure) "done"`) {
			t.Errorf("exit status %d, stderr:\n%s\nwant 0 and the server's close", run.status, run.stderr)
		}
	})

	t.Run("ServerClosesWithError", func(t *testing.T) {
		run := runDuplexConnect(t, exe, "close 4001 custom reason\n", "--grace", "10s", base+"/")
		if run.status != 1 || !strings.Contains(run.stderr, `closed by server: 4001 "custom reason"`) {
			t.Errorf("exit status %d, stderr:\n%s\nwant 1 and the server's close", run.status, run.stderr)
		}
	})
}
