package interop_test

// TestChromium runs package websocket against the WebSocket of a real
// browser: headless Chromium, driven by peers/chromium_driver.js through
// playwright-core, loads testdata/chromium.html from a Go server, and the
// page's script talks to the server's /ws endpoint with the browser's own
// WebSocket API. The page reports what the API showed (readyState,
// protocol, extensions, messages, close events); the server reports what
// Conn showed; the test checks both against the WHATWG WebSockets Standard
// and RFC 6455.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

const (
	// chromiumPath is Debian's Chromium, the browser the driver launches.
	chromiumPath = "/usr/bin/chromium"

	// chromiumTimeout bounds the whole browser run: launch, both cases,
	// screenshot, shutdown. The driver gives up a little earlier, so
	// that it can still report why.
	chromiumTimeout       = 60 * time.Second
	chromiumDriverTimeout = chromiumTimeout - 10*time.Second

	// chromiumCaseTimeout bounds each read on the server side.
	chromiumCaseTimeout = 20 * time.Second

	// chromiumText is the text message the page sends; the page defines
	// the same.
	chromiumText = "hello from Chromium \u00e9 \u20ac \u2713 \U0001d11e"

	// The server's closing handshake in the server-close case.
	chromiumServerCloseCode   = websocket.StatusCode(4000)
	chromiumServerCloseReason = "done here"

	// The page's closing handshake in the client-close case.
	chromiumClientCloseCode   = websocket.StatusNormalClosure
	chromiumClientCloseReason = "bye"
)

// chromiumBinary is the binary message the page sends: bytes 0 to 255.
var chromiumBinary = func() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// chromiumServerProtocols is the server's preference; the page offers
// ["chat", "superchat"].
var chromiumServerProtocols = []string{"superchat", "chat"}

// chromiumCases are the page's cases, in the order it runs them.
var chromiumCases = []string{"server-close", "client-close"}

// chromiumMissing fails the test on CI, where the browser and its driver
// must be installed, and skips it elsewhere.
func chromiumMissing(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + "; run scripts/install-test-deps.sh"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (with CI=true this test fails instead)")
}

// chromiumRequire returns the path of node, or ends the test when node,
// playwright-core or Chromium is missing.
func chromiumRequire(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		chromiumMissing(t, "node is not on PATH")
	}
	if _, err := os.Stat("node_modules/playwright-core/package.json"); err != nil {
		chromiumMissing(t, "playwright-core is not installed in test/interop/node_modules")
	}
	if fi, err := os.Stat(chromiumPath); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		chromiumMissing(t, "%s is not an executable (Debian package chromium)", chromiumPath)
	}
	return node
}

// chromiumMessage is one message the server read.
type chromiumMessage struct {
	typ  websocket.MessageType
	data []byte
}

// chromiumServerView is what the server's Conn showed in one case.
type chromiumServerView struct {
	acceptErr   error
	subprotocol string
	extensions  string
	messages    []chromiumMessage
	writeErrs   []error
	closeErr    error           // Close, in the server-close case
	closeState  websocket.State // State right after Close returned
	readErr     error           // the Read that ended the case
	finalState  websocket.State // State once the case ended
}

// chromiumServer serves the page at / and the WebSocket endpoint at
// /ws?case=NAME, and hands each case's view to the test.
type chromiumServer struct {
	page  []byte
	ctx   context.Context // ends with the test
	views map[string]chan *chromiumServerView
}

func (s *chromiumServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(s.page)
	case "/ws":
		name := r.URL.Query().Get("case")
		ch, ok := s.views[name]
		if !ok {
			http.Error(w, "unknown case "+name, http.StatusNotFound)
			return
		}
		view := s.serveCase(w, r, name)
		select {
		case ch <- view:
		default: // a second connection for the same case; the first one counts
		}
	default:
		http.NotFound(w, r)
	}
}

func (s *chromiumServer) serveCase(w http.ResponseWriter, r *http.Request, name string) *chromiumServerView {
	v := &chromiumServerView{}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: chromiumServerProtocols})
	if err != nil {
		v.acceptErr = err
		return v
	}
	defer conn.CloseNow()
	v.subprotocol = conn.Subprotocol()
	v.extensions = conn.Extensions()
	ctx, cancel := context.WithTimeout(s.ctx, chromiumCaseTimeout)
	defer cancel()

	switch name {
	case "server-close":
		// Echo the page's two messages, then start the closing handshake.
		for range 2 {
			typ, p, err := conn.Read(ctx)
			if err != nil {
				v.readErr = err
				v.finalState = conn.State()
				return v
			}
			v.messages = append(v.messages, chromiumMessage{typ, bytes.Clone(p)})
			v.writeErrs = append(v.writeErrs, conn.Write(ctx, typ, p))
		}
		v.closeErr = conn.Close(chromiumServerCloseCode, chromiumServerCloseReason)
		v.closeState = conn.State()
		_, _, v.readErr = conn.Read(ctx)
	case "client-close":
		// The page closes at once; the Read must report its close frame.
		for {
			typ, p, err := conn.Read(ctx)
			if err != nil {
				v.readErr = err
				break
			}
			v.messages = append(v.messages, chromiumMessage{typ, bytes.Clone(p)})
		}
		// The server closes TCP once it has answered the close frame.
		for conn.State() != websocket.StateClosed && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
	v.finalState = conn.State()
	return v
}

// The page's findings (testdata/chromium.html).
type (
	chromiumResult struct {
		UserAgent      string         `json:"userAgent"`
		BrowserVersion string         `json:"browserVersion"`
		Text           string         `json:"text"`
		Exception      string         `json:"exception"`
		Cases          []chromiumCase `json:"cases"`
	}
	chromiumCase struct {
		Name       string             `json:"name"`
		URL        string             `json:"url"`
		States     []chromiumState    `json:"states"`
		Polled     []int              `json:"polled"`
		Protocol   *string            `json:"protocol"`
		Extensions *string            `json:"extensions"`
		Received   []chromiumReceived `json:"received"`
		Errors     int                `json:"errors"`
		Close      *chromiumClose     `json:"close"`
		Timeout    string             `json:"timeout"`
		Exception  string             `json:"exception"`
	}
	chromiumState struct {
		At    string `json:"at"`
		State int    `json:"state"`
	}
	chromiumReceived struct {
		Type        string  `json:"type"` // text, binary or other
		Text        *string `json:"text"`
		ArrayBuffer bool    `json:"arrayBuffer"`
		Bytes       []int   `json:"bytes"`
		Constructor string  `json:"constructor"`
	}
	chromiumClose struct {
		Code     int    `json:"code"`
		Reason   string `json:"reason"`
		WasClean bool   `json:"wasClean"`
	}
)

// readyState values (WHATWG WebSockets Standard).
const (
	chromiumConnecting = 0
	chromiumOpen       = 1
	chromiumClosing    = 2
	chromiumClosed     = 3
)

// chromiumPageReport is what peers/chromium_driver.js prints, with the
// page's findings of type R.
type chromiumPageReport[R any] struct {
	Event   string   `json:"event"` // result or error
	Message string   `json:"message"`
	Console []string `json:"console"`
	Result  *R       `json:"result"`
}

// chromiumRunPage runs the driver on the page at url, saving a
// screenshot when screenshot is not empty, and returns its report. The
// driver and its browser are stopped when the test ends, if not before.
func chromiumRunPage[R any](t *testing.T, node, url, screenshot string) *chromiumPageReport[R] {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	cmd := exec.CommandContext(ctx, node, "peers/chromium_driver.js",
		url, screenshot, fmt.Sprint(chromiumDriverTimeout.Milliseconds()))
	// On timeout, SIGTERM lets the driver close the browser.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// The driver exits when its stdin ends, so it cannot outlive the test
	// process.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting the Chromium driver: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		<-done
	})
	waitErr := <-done
	done <- waitErr // for the cleanup
	if ctx.Err() != nil {
		t.Fatalf("Chromium driver did not finish within %v; stderr:\n%s", chromiumTimeout, stderr.String())
	}
	var report *chromiumPageReport[R]
	for _, line := range bytes.Split(stdout.Bytes(), []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("{")) {
			continue
		}
		var r chromiumPageReport[R]
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("driver printed a line that is not its JSON report: %v\n%s", err, line)
		}
		report = &r
	}
	if report == nil {
		t.Fatalf("Chromium driver exited (%v) without a report; stderr:\n%s", waitErr, stderr.String())
	}
	if report.Event != "result" || report.Result == nil {
		t.Fatalf("Chromium driver failed (%v): %s\nstderr:\n%s", waitErr, report.Message, stderr.String())
	}
	if waitErr != nil {
		t.Errorf("Chromium driver reported a result but exited with %v; stderr:\n%s", waitErr, stderr.String())
	}
	return report
}

func TestChromium(t *testing.T) {
	node := chromiumRequire(t)
	page, err := os.ReadFile("testdata/chromium.html")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv := &chromiumServer{page: page, ctx: ctx, views: map[string]chan *chromiumServerView{}}
	for _, name := range chromiumCases {
		srv.views[name] = make(chan *chromiumServerView, 1)
	}
	// httptest listens on 127.0.0.1.
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	screenshot := filepath.Join(t.TempDir(), "chromium.png")
	report := chromiumRunPage[chromiumResult](t, node, hs.URL+"/", screenshot)
	res := report.Result
	t.Logf("browser %s; %s", res.BrowserVersion, res.UserAgent)
	for _, line := range report.Console {
		t.Logf("page console: %s", line)
	}
	if png, err := os.ReadFile(screenshot); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot %s: not a PNG (err %v)", screenshot, err)
	} else {
		t.Logf("screenshot: %s (%d bytes)", screenshot, len(png))
	}

	if res.Exception != "" {
		t.Fatalf("page script failed: %s", res.Exception)
	}
	if res.Text != chromiumText {
		t.Fatalf("page sends text %q, test expects %q: testdata/chromium.html and chromium_test.go disagree", res.Text, chromiumText)
	}
	if len(res.Cases) != len(chromiumCases) {
		t.Fatalf("page ran %d cases, want %d: %+v", len(res.Cases), len(chromiumCases), res.Cases)
	}
	for i, name := range chromiumCases {
		c := res.Cases[i]
		if c.Name != name {
			t.Fatalf("page case %d is %q, want %q", i, c.Name, name)
		}
		var view *chromiumServerView
		select {
		case view = <-srv.views[name]:
		case <-time.After(chromiumCaseTimeout):
			t.Fatalf("%s: the server saw no connection", name)
		}
		t.Run(name, func(t *testing.T) {
			if c.Timeout != "" || c.Exception != "" {
				t.Fatalf("page: %s%s", c.Timeout, c.Exception)
			}
			if want := "ws://" + strings.TrimPrefix(hs.URL, "http://") + "/ws?case=" + name; c.URL != want {
				t.Errorf("page: ws.url = %q, want %q", c.URL, want)
			}
			chromiumCheckHandshake(t, c, view)
			switch name {
			case "server-close":
				chromiumCheckServerClose(t, c, view)
			case "client-close":
				chromiumCheckClientClose(t, c, view)
			}
		})
	}
}

// chromiumCheckHandshake checks what both sides agreed on in the opening
// handshake: the page offered ["chat", "superchat"], the server prefers
// "superchat"; Chromium offers permessage-deflate, which the server does
// not accept.
func chromiumCheckHandshake(t *testing.T, c chromiumCase, v *chromiumServerView) {
	t.Helper()
	if v.acceptErr != nil {
		t.Fatalf("server: Accept: %v", v.acceptErr)
	}
	if v.subprotocol != "superchat" {
		t.Errorf("server: Subprotocol() = %q, want %q", v.subprotocol, "superchat")
	}
	if v.extensions != "" {
		t.Errorf("server: Extensions() = %q, want none", v.extensions)
	}
	if c.Protocol == nil || *c.Protocol != "superchat" {
		t.Errorf("page: ws.protocol = %s, want %q", chromiumQuote(c.Protocol), "superchat")
	}
	if c.Extensions == nil || *c.Extensions != "" {
		t.Errorf("page: ws.extensions = %s, want %q", chromiumQuote(c.Extensions), "")
	}
	if c.Errors != 0 {
		t.Errorf("page: %d error events, want none", c.Errors)
	}
}

// chromiumCheckServerClose checks the echo of a text and a binary message
// and a closing handshake the server starts with 4000 "done here".
func chromiumCheckServerClose(t *testing.T, c chromiumCase, v *chromiumServerView) {
	t.Helper()
	// The server's view.
	want := []chromiumMessage{
		{websocket.MessageText, []byte(chromiumText)},
		{websocket.MessageBinary, chromiumBinary},
	}
	if len(v.messages) != len(want) {
		t.Errorf("server: read %d messages, want %d (read error: %v)", len(v.messages), len(want), v.readErr)
	}
	for i := range min(len(v.messages), len(want)) {
		what := fmt.Sprintf("server: message %d", i)
		if v.messages[i].typ != want[i].typ {
			t.Errorf("%s: type %v, want %v", what, v.messages[i].typ, want[i].typ)
		}
		chromiumCheckBytes(t, what, v.messages[i].data, want[i].data)
	}
	for i, err := range v.writeErrs {
		if err != nil {
			t.Errorf("server: Write of echo %d: %v", i, err)
		}
	}
	if v.closeErr != nil {
		t.Errorf("server: Close(%d, %q) = %v, want nil (Chromium answers the close frame)",
			chromiumServerCloseCode, chromiumServerCloseReason, v.closeErr)
	}
	if v.closeState != websocket.StateClosed {
		t.Errorf("server: State() after Close = %v, want %v", v.closeState, websocket.StateClosed)
	}
	// After Close, Read reports the peer's answer to our close frame:
	// Chromium echoes the code.
	var ce *websocket.CloseError
	if !errors.As(v.readErr, &ce) {
		t.Errorf("server: Read after Close = %v, want *CloseError from Chromium's answer", v.readErr)
	} else if ce.Code != chromiumServerCloseCode || ce.Local {
		t.Errorf("server: Read after Close = %+v, want Code %d from the peer (Local false)", *ce, chromiumServerCloseCode)
	} else {
		t.Logf("server: Chromium answered the close frame with %d %q", int(ce.Code), ce.Reason)
	}
	if v.finalState != websocket.StateClosed {
		t.Errorf("server: final State() = %v, want %v", v.finalState, websocket.StateClosed)
	}

	// The page's view.
	chromiumCheckStates(t, c.States, []chromiumState{
		{"construct", chromiumConnecting},
		{"open", chromiumOpen},
		{"message", chromiumOpen},
		{"message", chromiumOpen},
		{"close", chromiumClosed},
	})
	if len(c.Received) != 2 {
		t.Fatalf("page: received %d messages, want 2: %+v", len(c.Received), c.Received)
	}
	if r := c.Received[0]; r.Type != "text" || r.Text == nil || *r.Text != chromiumText {
		t.Errorf("page: first echo is %s %s, want text %q", r.Type, chromiumQuote(r.Text), chromiumText)
	}
	if r := c.Received[1]; r.Type != "binary" || !r.ArrayBuffer {
		t.Errorf("page: second echo is %s (arrayBuffer %v, %s), want an ArrayBuffer", r.Type, r.ArrayBuffer, r.Constructor)
	} else {
		got := make([]byte, len(r.Bytes))
		for i, b := range r.Bytes {
			if b < 0 || b > 255 {
				t.Fatalf("page: byte %d of the binary echo is %d", i, b)
			}
			got[i] = byte(b)
		}
		chromiumCheckBytes(t, "page: binary echo", got, chromiumBinary)
	}
	chromiumCheckClose(t, c.Close, chromiumClose{int(chromiumServerCloseCode), chromiumServerCloseReason, true})

	// readyState goes CLOSING when the close frame arrives and CLOSED when
	// TCP ends, with no event for the first; the page polls it from the
	// second echo on. Whatever it saw must be in order.
	t.Logf("page: readyState while the server closed: %v", c.Polled)
	if len(c.Polled) == 0 || !slices.IsSorted(c.Polled) || c.Polled[0] < chromiumOpen || c.Polled[len(c.Polled)-1] != chromiumClosed {
		t.Errorf("page: readyState polled during the server's close went %v, want a rising run from OPEN or CLOSING to CLOSED", c.Polled)
	}
}

// chromiumCheckClientClose checks a closing handshake the page starts with
// 1000 "bye" as soon as it is open.
func chromiumCheckClientClose(t *testing.T, c chromiumCase, v *chromiumServerView) {
	t.Helper()
	// The server's view.
	if len(v.messages) != 0 {
		t.Errorf("server: read %d messages, want none", len(v.messages))
	}
	var ce *websocket.CloseError
	if !errors.As(v.readErr, &ce) {
		t.Errorf("server: Read = %v, want *CloseError", v.readErr)
	} else if want := (websocket.CloseError{Code: chromiumClientCloseCode, Reason: chromiumClientCloseReason}); *ce != want {
		t.Errorf("server: Read = %#v, want %#v", *ce, want)
	}
	if got := websocket.CloseStatus(v.readErr); got != chromiumClientCloseCode {
		t.Errorf("server: CloseStatus = %d, want %d", got, chromiumClientCloseCode)
	}
	if v.finalState != websocket.StateClosed {
		t.Errorf("server: State() after the peer's close = %v, want %v", v.finalState, websocket.StateClosed)
	}

	// The page's view.
	chromiumCheckStates(t, c.States, []chromiumState{
		{"construct", chromiumConnecting},
		{"open", chromiumOpen},
		{"after close()", chromiumClosing},
		{"close", chromiumClosed},
	})
	if len(c.Received) != 0 {
		t.Errorf("page: received %+v, want nothing", c.Received)
	}
	// The close event carries the code and reason of the close frame the
	// browser received (RFC 6455, section 7.1.5 and 7.1.6): the server's
	// answer, which echoes the code (section 5.5.1) without the reason.
	chromiumCheckClose(t, c.Close, chromiumClose{int(chromiumClientCloseCode), "", true})
}

func chromiumCheckStates(t *testing.T, got, want []chromiumState) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("page: readyState sequence %+v, want %+v", got, want)
	}
}

func chromiumCheckClose(t *testing.T, got *chromiumClose, want chromiumClose) {
	t.Helper()
	if got == nil {
		t.Errorf("page: no close event, want %+v", want)
	} else if *got != want {
		t.Errorf("page: close event %+v, want %+v", *got, want)
	}
}

func chromiumCheckBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got %d bytes %q, want %d bytes %q", what, len(got), got, len(want), want)
	}
}

func chromiumQuote(s *string) string {
	if s == nil {
		return "(unset)"
	}
	return fmt.Sprintf("%q", *s)
}
