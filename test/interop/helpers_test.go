// Package interop_test runs package websocket against WebSocket
// implementations nobody here wrote: Node.js ws and Python websockets (this
// file, suite_test.go, node_test.go, python_test.go) and headless Chromium
// (chromium_test.go).
//
// Each ws or websockets peer is a small programmable echo process in
// peers/ (see peers/ws_driver.js and peers/websockets_driver.py for the
// protocol): it echoes every message, runs the JSON commands the test sends
// it in text messages, and reports what it saw (open, close, errors) as
// JSON lines on stdout. scripts/install-test-deps.sh installs the peers. A
// test whose peer is missing fails when CI=true and is skipped otherwise.
package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

const (
	// maxMessage is the read limit on both sides: above the largest
	// message the tests send (16 MiB).
	maxMessage = 64 << 20

	// opTimeout bounds one step of a test: a handshake, one echoed
	// message, one close handshake. Generous, because the race detector
	// slows the 16 MiB messages down.
	opTimeout = 60 * time.Second

	// eventTimeout bounds waiting for a peer's report once the step it
	// reports on is done on our side.
	eventTimeout = 15 * time.Second

	// systemPython is Debian's interpreter, the one python3-websockets is
	// installed for; python3 on PATH may be another one.
	systemPython = "/usr/bin/python3"
)

// serverProtocols is our server's preference order; the peers' servers
// prefer the same. offeredProtocols is what clients offer.
var (
	serverProtocols  = []string{"superchat", "chat"}
	offeredProtocols = []string{"chat", "superchat"}
)

// missingPeer fails the test on CI, where the peers must be installed, and
// skips it elsewhere.
func missingPeer(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + "; run scripts/install-test-deps.sh"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (with CI=true this test fails instead)")
}

// nodeCommand returns the command line prefix that runs a Node.js peer
// script, or ends the test when Node.js or the ws package is missing.
func nodeCommand(t *testing.T) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missingPeer(t, "node is not on PATH")
	}
	if _, err := os.Stat("node_modules/ws/package.json"); err != nil {
		missingPeer(t, "the ws package is not installed in test/interop/node_modules")
	}
	return []string{node}
}

var pythonCheck = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, systemPython, "-c", "import websockets").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s cannot import websockets: %v: %s", systemPython, err, bytes.TrimSpace(out))
	}
	return nil
})

// pythonCommand returns the command line prefix that runs a Python peer
// script, or ends the test when Python's websockets is missing.
func pythonCommand(t *testing.T) []string {
	t.Helper()
	if err := pythonCheck(); err != nil {
		missingPeer(t, "%v", err)
	}
	return []string{systemPython, "-u", "-B"}
}

// textUnit is the repeated unit of text patterns; it mixes 1- to 4-byte
// UTF-8 sequences so that fragment boundaries fall inside characters. The
// peers define the same.
const textUnit = "duplex \u00e9 \u00df \u20ac \u2713 \U0001d11e "

var (
	patternMu    sync.Mutex
	patternCache = map[string][]byte{}
)

// pattern returns the deterministic payload of n bytes that the peers
// also produce. Binary: byte i is i % 251. Text: textUnit repeated, cut at
// the last character boundary at or before n, padded with '.'.
func pattern(typ websocket.MessageType, n int) []byte {
	key := fmt.Sprint(typ, n)
	patternMu.Lock()
	defer patternMu.Unlock()
	if p, ok := patternCache[key]; ok {
		return p
	}
	p := make([]byte, n)
	if typ == websocket.MessageBinary {
		for i := range p {
			p[i] = byte(i % 251)
		}
	} else {
		buf := []byte(strings.Repeat(textUnit, n/len(textUnit)+2))
		m := n
		for m > 0 && buf[m]&0xc0 == 0x80 {
			m--
		}
		copy(p, buf[:m])
		for i := m; i < n; i++ {
			p[i] = '.'
		}
	}
	patternCache[key] = p
	return p
}

// typeName is the name of a message type in the peers' commands.
func typeName(typ websocket.MessageType) string {
	if typ == websocket.MessageBinary {
		return "binary"
	}
	return "text"
}

// checkBytes reports a difference between got and want without printing
// megabytes.
func checkBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Errorf("%s: got %d bytes, want %d; first difference at byte %d (got %q, want %q)",
		what, len(got), len(want), i, excerpt(got, i), excerpt(want, i))
}

func excerpt(b []byte, i int) []byte {
	return b[min(i, len(b)):min(i+16, len(b))]
}

// peerEvent is one line a peer prints on stdout.
type peerEvent struct {
	Event      string `json:"event"` // listening, open, close, error
	ID         string `json:"id"`
	Port       int    `json:"port"`
	Protocol   string `json:"protocol"`
	Extensions string `json:"extensions"`
	Code       int    `json:"code"`
	Reason     string `json:"reason"`
	Message    string `json:"message"`
}

// A peerProc is a running peer script.
type peerProc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr syncBuffer
	exited chan struct{} // closed once stdout ended and the process was waited for

	mu     sync.Mutex
	queues map[string]chan peerEvent // events by connection id; guarded by mu
}

// startPiped starts cmd with its standard input and output piped to the
// test and its standard error into stderr; the test fails if it cannot
// start.
func startPiped(t *testing.T, cmd *exec.Cmd, stderr io.Writer) (io.WriteCloser, io.ReadCloser) {
	t.Helper()
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", strings.Join(cmd.Args, " "), err)
	}
	return stdin, stdout
}

// startPeer starts a peer script in peers/ and stops it at the end of the
// test: it closes the script's stdin, which makes the script exit, and
// kills it if it has not exited shortly after.
func startPeer(t *testing.T, name string, argv ...string) *peerProc {
	t.Helper()
	p := &peerProc{
		name:   name,
		cmd:    exec.Command(argv[0], argv[1:]...),
		exited: make(chan struct{}),
		queues: map[string]chan peerEvent{},
	}
	p.cmd.Dir = "peers"
	var stdout io.Reader
	p.stdin, stdout = startPiped(t, p.cmd, &p.stderr)
	go p.readEvents(stdout)
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *peerProc) readEvents(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var ev peerEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Event == "" {
			fmt.Fprintf(&p.stderr, "[stdout] %s\n", sc.Bytes())
			continue
		}
		select {
		case p.queue(ev.ID) <- ev:
		default:
			fmt.Fprintf(&p.stderr, "[dropped event] %s\n", sc.Bytes())
		}
	}
	p.cmd.Wait()
	close(p.exited)
}

// queue returns the channel of events for one connection id ("" for the
// process itself), creating it on first use so that nothing is lost.
func (p *peerProc) queue(id string) chan peerEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	q, ok := p.queues[id]
	if !ok {
		q = make(chan peerEvent, 64)
		p.queues[id] = q
	}
	return q
}

// waitEvent returns the next event of the given kind for connection id.
// Error events on the way are logged; the test fails if the event does
// not come within timeout or the process exits first.
func (p *peerProc) waitEvent(t *testing.T, id, kind string, timeout time.Duration) peerEvent {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	q := p.queue(id)
	for {
		select {
		case ev := <-q:
			if ev.Event == kind {
				return ev
			}
			if ev.Event == "error" {
				t.Logf("%s reported an error on %q: %s", p.name, id, ev.Message)
			}
		case <-p.exited:
			// Take what the process printed before it exited.
			if ev, ok := takeQueued(q, kind); ok {
				return ev
			}
			t.Fatalf("%s exited (%v) before reporting %q for %q; stderr:\n%s",
				p.name, p.cmd.ProcessState, kind, id, p.stderr.String())
		case <-timer.C:
			t.Fatalf("%s did not report %q for %q within %v; stderr:\n%s",
				p.name, kind, id, timeout, p.stderr.String())
		}
	}
}

// takeQueued returns the first queued event of the given kind, dropping
// the events before it, without waiting.
func takeQueued(q chan peerEvent, kind string) (peerEvent, bool) {
	for {
		select {
		case ev := <-q:
			if ev.Event == kind {
				return ev, true
			}
		default:
			return peerEvent{}, false
		}
	}
}

func (p *peerProc) stop(t *testing.T) {
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(3 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
	if t.Failed() && p.stderr.Len() > 0 {
		t.Logf("%s stderr:\n%s", p.name, p.stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// A link is one WebSocket connection between our Conn and a peer.
type link struct {
	conn *websocket.Conn
	peer *peerProc
	id   string    // the connection's id in the peer's events
	open peerEvent // the peer's report of the opened connection
}

// peerEvent waits for the peer's next event of the given kind on this link.
func (l *link) peerEvent(t *testing.T, kind string) peerEvent {
	t.Helper()
	return l.peer.waitEvent(t, l.id, kind, eventTimeout)
}

// sendCommand sends a command to the peer in a text message.
func (l *link) sendCommand(t *testing.T, cmd map[string]any) {
	t.Helper()
	b, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := l.conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("send command %s: %v", b, err)
	}
}

// A connector opens a new link to a peer; the client side offers
// protocols. The link's Conn is closed at the end of the test.
type connector func(t *testing.T, protocols []string) *link

var linkSeq atomic.Int64

func nextLinkID() string { return fmt.Sprintf("c%d", linkSeq.Add(1)) }

// acceptResult is what our server's handler passes to the test.
type acceptResult struct {
	conn *websocket.Conn
	err  error
}

// goServer is our server (websocket.Accept behind httptest) that peer
// clients connect to. Each request's path names the link it belongs to.
type goServer struct {
	srv *httptest.Server

	mu       sync.Mutex
	accepted map[string]chan acceptResult // guarded by mu
	done     chan struct{}                // closed at the end of the test
}

func newGoServer(t *testing.T) *goServer {
	s := &goServer{accepted: map[string]chan acceptResult{}, done: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveWS))
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() { close(s.done) })
	return s
}

func (s *goServer) slot(id string) chan acceptResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.accepted[id]
	if !ok {
		ch = make(chan acceptResult, 1)
		s.accepted[id] = ch
	}
	return ch
}

func (s *goServer) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: serverProtocols,
		ReadLimit:    maxMessage,
	})
	select {
	case s.slot(strings.TrimPrefix(r.URL.Path, "/")) <- acceptResult{conn, err}:
	default:
		if conn != nil {
			conn.CloseNow()
		}
		return
	}
	if err == nil {
		// Like a real handler, stay in ServeHTTP while the connection is
		// in use.
		<-s.done
	}
}

func (s *goServer) url(id string) string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/" + id
}

// peerClients returns a connector that starts a peer client script for each
// link and accepts its connection with our server.
func peerClients(t *testing.T, name string, argv ...string) connector {
	srv := newGoServer(t)
	return func(t *testing.T, protocols []string) *link {
		t.Helper()
		id := nextLinkID()
		args := append(append([]string(nil), argv...), srv.url(id), id)
		if len(protocols) > 0 {
			args = append(args, strings.Join(protocols, ","))
		}
		peer := startPeer(t, name, args...)
		var res acceptResult
		select {
		case res = <-srv.slot(id):
		case <-peer.exited:
			t.Fatalf("%s exited before connecting; stderr:\n%s", name, peer.stderr.String())
		case <-time.After(opTimeout):
			t.Fatalf("%s did not connect within %v; stderr:\n%s", name, opTimeout, peer.stderr.String())
		}
		if res.err != nil {
			t.Fatalf("Accept from %s: %v", name, res.err)
		}
		t.Cleanup(func() { res.conn.CloseNow() })
		l := &link{conn: res.conn, peer: peer, id: id}
		l.open = l.peerEvent(t, "open")
		return l
	}
}

// peerServer returns a connector that dials a peer server script, started
// once for the whole test.
func peerServer(t *testing.T, name string, argv ...string) connector {
	peer := startPeer(t, name, argv...)
	port := peer.waitEvent(t, "", "listening", opTimeout).Port
	return func(t *testing.T, protocols []string) *link {
		t.Helper()
		id := nextLinkID()
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		url := fmt.Sprintf("ws://127.0.0.1:%d/%s", port, id)
		conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
			Subprotocols: protocols,
			ReadLimit:    maxMessage,
		})
		if err != nil {
			t.Fatalf("Dial %s (%s): %v", url, name, err)
		}
		t.Cleanup(func() { conn.CloseNow() })
		l := &link{conn: conn, peer: peer, id: id}
		l.open = l.peerEvent(t, "open")
		return l
	}
}
