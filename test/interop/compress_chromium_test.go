package interop_test

// TestDeflateChromium runs permessage-deflate (RFC 7692) against the
// WebSocket of headless Chromium, which offers
// "permessage-deflate; client_max_window_bits". peers/chromium_driver.js
// loads testdata/deflate_chromium.html from a Go server; for each case the
// page connects through a tap to the server, which accepts with that
// case's CompressionOptions and echoes a 100 KiB JSON-like text message
// and a 64 KiB random binary message. Both ends must report the same
// negotiated extension, the echoes must be exact, and the tap must see
// both directions compressed.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// chromiumDeflateOffer is what Chromium offers.
const chromiumDeflateOffer = "permessage-deflate; client_max_window_bits"

// The page's messages (testdata/deflate_chromium.html).
const (
	chromiumDeflateTextBytes   = 100 << 10
	chromiumDeflateBinaryBytes = 64 << 10
)

// chromiumDeflateCases are the server's configurations and the answer
// each must give to Chromium's offer.
var chromiumDeflateCases = []struct {
	name string
	opts websocket.CompressionOptions
	want string
}{
	{"default", websocket.CompressionOptions{}, "permessage-deflate"},
	{
		"limited",
		websocket.CompressionOptions{ServerNoContextTakeover: true, ClientMaxWindowBits: 10},
		"permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
	},
	{
		// A server window under 15 bits needs no announcement.
		"no-client-takeover",
		websocket.CompressionOptions{ClientNoContextTakeover: true, ServerMaxWindowBits: 9},
		"permessage-deflate; client_no_context_takeover",
	},
}

// chromiumDeflateView is what our server saw in one case.
type chromiumDeflateView struct {
	acceptErr  error
	extensions string
	messages   []chromiumDeflateMessage
	writeErrs  []error
	readErr    error // the Read that ended the case: the page's close
}

type chromiumDeflateMessage struct {
	typ       websocket.MessageType
	size      int
	sha256    string
	validJSON bool // for text: the whole is not JSON, but every full line is
}

// The page's findings.
type (
	chromiumDeflateResult struct {
		UserAgent      string                `json:"userAgent"`
		BrowserVersion string                `json:"browserVersion"`
		Exception      string                `json:"exception"`
		Cases          []chromiumDeflateCase `json:"cases"`
	}
	chromiumDeflateCase struct {
		Name       string  `json:"name"`
		URL        string  `json:"url"`
		Extensions *string `json:"extensions"`
		Protocol   *string `json:"protocol"`
		Sent       []struct {
			Type   string `json:"type"`
			Bytes  int    `json:"bytes"`
			SHA256 string `json:"sha256"`
		} `json:"sent"`
		Echoes []struct {
			Type  string `json:"type"`
			Bytes int    `json:"bytes"`
			Equal bool   `json:"equal"`
		} `json:"echoes"`
		Errors    int            `json:"errors"`
		Close     *chromiumClose `json:"close"`
		Timeout   string         `json:"timeout"`
		Exception string         `json:"exception"`
	}
)

func TestDeflateChromium(t *testing.T) {
	node := chromiumRequire(t)
	page, err := os.ReadFile("testdata/deflate_chromium.html")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	views := map[string]chan *chromiumDeflateView{}
	opts := map[string]*websocket.CompressionOptions{}
	var names []string
	for _, c := range chromiumDeflateCases {
		views[c.name] = make(chan *chromiumDeflateView, 1)
		opts[c.name] = &c.opts
		names = append(names, c.name)
	}
	ln := listenLocal(t)
	pageHost := ln.Addr().String() // the page's origin
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(page)
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("case")
		ch, ok := views[name]
		if !ok {
			http.Error(w, "unknown case "+name, http.StatusNotFound)
			return
		}
		view := serveDeflateCase(ctx, w, r, opts[name], pageHost)
		select {
		case ch <- view:
		default: // a second connection for the same case; the first one counts
		}
	})
	serveHTTP(t, ln, mux)
	// The page's WebSocket goes through the tap, on another port: the
	// server allows the page's origin by pattern.
	tap := newWireTap(t, pageHost)

	q := url.Values{"ws": {tap.wsURL("/ws")}, "cases": {strings.Join(names, ",")}}
	report := chromiumRunPage[chromiumDeflateResult](t, node, "http://"+pageHost+"/?"+q.Encode(), "")
	res := report.Result
	t.Logf("browser %s; %s", res.BrowserVersion, res.UserAgent)
	for _, line := range report.Console {
		t.Logf("page console: %s", line)
	}
	if res.Exception != "" {
		t.Fatalf("page script failed: %s", res.Exception)
	}
	if len(res.Cases) != len(chromiumDeflateCases) {
		t.Fatalf("page ran %d cases, want %d", len(res.Cases), len(chromiumDeflateCases))
	}
	for i, c := range chromiumDeflateCases {
		pc := res.Cases[i]
		if pc.Name != c.name {
			t.Fatalf("page case %d is %q, want %q", i, pc.Name, c.name)
		}
		var view *chromiumDeflateView
		select {
		case view = <-views[c.name]:
		case <-time.After(chromiumCaseTimeout):
			t.Fatalf("%s: the server saw no connection", c.name)
		}
		t.Run(c.name, func(t *testing.T) {
			checkChromiumDeflate(t, pc, view, tap.byRequest("case="+c.name), c.want)
		})
	}
}

// serveDeflateCase accepts with compression, echoes two messages and
// waits for the page's close.
func serveDeflateCase(ctx context.Context, w http.ResponseWriter, r *http.Request, opts *websocket.CompressionOptions, pageHost string) *chromiumDeflateView {
	v := &chromiumDeflateView{}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OriginPatterns: []string{pageHost},
		ReadLimit:      1 << 20,
		Compression:    opts,
	})
	if err != nil {
		v.acceptErr = err
		return v
	}
	defer conn.CloseNow()
	v.extensions = conn.Extensions()
	ctx, cancel := context.WithTimeout(ctx, chromiumCaseTimeout)
	defer cancel()
	for range 2 {
		typ, p, err := conn.Read(ctx)
		if err != nil {
			v.readErr = err
			return v
		}
		sum := sha256.Sum256(p)
		m := chromiumDeflateMessage{typ: typ, size: len(p), sha256: hex.EncodeToString(sum[:])}
		if typ == websocket.MessageText {
			m.validJSON = jsonLines(p)
		}
		v.messages = append(v.messages, m)
		v.writeErrs = append(v.writeErrs, conn.Write(ctx, typ, p))
	}
	_, _, v.readErr = conn.Read(ctx)
	return v
}

// jsonLines reports whether p is "[" followed by lines that each hold a
// JSON object (the last one may be cut off), as the page builds it.
func jsonLines(p []byte) bool {
	if !bytes.HasPrefix(p, []byte("[")) {
		return false
	}
	lines := bytes.Split(p[1:], []byte(",\n"))
	if len(lines) < 100 {
		return false
	}
	for _, line := range lines[:len(lines)-1] {
		if !json.Valid(line) {
			return false
		}
	}
	return true
}

func checkChromiumDeflate(t *testing.T, pc chromiumDeflateCase, v *chromiumDeflateView, wire *tapConn, want string) {
	if pc.Timeout != "" || pc.Exception != "" {
		t.Fatalf("page: %s%s", pc.Timeout, pc.Exception)
	}
	if v.acceptErr != nil {
		t.Fatalf("server: Accept: %v", v.acceptErr)
	}
	// The negotiation, seen from both ends and on the wire.
	if v.extensions != want {
		t.Errorf("server: Extensions() = %q, want %q", v.extensions, want)
	}
	if pc.Extensions == nil || *pc.Extensions != want {
		t.Errorf("page: ws.extensions = %s, want %q", chromiumQuote(pc.Extensions), want)
	}
	if wire == nil {
		t.Fatal("the tap carried no connection for this case")
	}
	if got := wire.up.header("Sec-WebSocket-Extensions"); got != chromiumDeflateOffer {
		t.Errorf("Chromium offered %q, want %q", got, chromiumDeflateOffer)
	}
	if got := wire.down.header("Sec-WebSocket-Extensions"); got != want {
		t.Errorf("answer on the wire: %q, want %q", got, want)
	}

	// The messages, as the server read them and as the page got them back.
	if len(pc.Sent) != 2 || pc.Sent[0].Bytes != chromiumDeflateTextBytes || pc.Sent[1].Bytes != chromiumDeflateBinaryBytes {
		t.Fatalf("page sent %+v, want %d bytes of text and %d of binary: the page and the test disagree",
			pc.Sent, chromiumDeflateTextBytes, chromiumDeflateBinaryBytes)
	}
	if len(v.messages) != 2 {
		t.Fatalf("server: read %d messages, want 2 (read error: %v)", len(v.messages), v.readErr)
	}
	for i, wantType := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
		m, sent := v.messages[i], pc.Sent[i]
		if m.typ != wantType || m.size != sent.Bytes || m.sha256 != sent.SHA256 {
			t.Errorf("server: message %d is %v, %d bytes, SHA-256 %s; the page sent %s, %d bytes, SHA-256 %s",
				i, m.typ, m.size, m.sha256, sent.Type, sent.Bytes, sent.SHA256)
		}
		if err := v.writeErrs[i]; err != nil {
			t.Errorf("server: Write of echo %d: %v", i, err)
		}
	}
	if !v.messages[0].validJSON {
		t.Errorf("server: the text message is not the page's JSON-like lines")
	}
	if len(pc.Echoes) != 2 {
		t.Fatalf("page: got %d echoes, want 2: %+v", len(pc.Echoes), pc.Echoes)
	}
	for i, e := range pc.Echoes {
		if e.Type != pc.Sent[i].Type || e.Bytes != pc.Sent[i].Bytes || !e.Equal {
			t.Errorf("page: echo %d is %s, %d bytes, equal to what was sent: %v; want the %s message back",
				i, e.Type, e.Bytes, e.Equal, pc.Sent[i].Type)
		}
	}
	if pc.Errors != 0 {
		t.Errorf("page: %d error events, want none", pc.Errors)
	}
	var ce *websocket.CloseError
	if !errors.As(v.readErr, &ce) || ce.Code != websocket.StatusNormalClosure || ce.Reason != "done" {
		t.Errorf("server: final Read = %v, want the page's close 1000 \"done\"", v.readErr)
	}
	chromiumCheckClose(t, pc.Close, chromiumClose{int(websocket.StatusNormalClosure), "", true})

	// The wire: both messages compressed both ways, the text to half or
	// less of its size.
	for _, dir := range []struct {
		name string
		s    *frameScanner
	}{{"from Chromium", &wire.up}, {"from us", &wire.down}} {
		msgs := dir.s.take()
		if len(msgs) != 2 {
			t.Errorf("%s: %d data messages on the wire, want 2", dir.name, len(msgs))
			continue
		}
		for i, m := range msgs {
			if m.opcode != byte(i+1) || !m.rsv1 || m.contRSV1 != 0 {
				t.Errorf("%s: message %d on the wire: opcode %d, RSV1 %v, %d continuation frames with RSV1; want opcode %d, compressed",
					dir.name, i, m.opcode, m.rsv1, m.contRSV1, i+1)
			}
		}
		t.Logf("%s: text %d bytes in %d on the wire (%d frames), binary %d bytes in %d (%d frames)", dir.name,
			chromiumDeflateTextBytes, msgs[0].wireBytes, msgs[0].frames, chromiumDeflateBinaryBytes, msgs[1].wireBytes, msgs[1].frames)
		if msgs[0].wireBytes*2 > chromiumDeflateTextBytes {
			t.Errorf("%s: %d bytes on the wire for %d bytes of JSON-like text, want at most half", dir.name, msgs[0].wireBytes, chromiumDeflateTextBytes)
		}
		for _, p := range dir.s.violations() {
			t.Errorf("%s: on the wire: %s", dir.name, p)
		}
	}
}
