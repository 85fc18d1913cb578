package websocket_test

// Opening handshake tests (RFC 6455, section 4): what Accept refuses and
// how, origin checks, subprotocol choice, and what Dial refuses in a
// server's answer, checked against servers written by hand.

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// hsHeader is one request header line, kept in order.
type hsHeader struct{ name, value string }

// hsRequest is an opening handshake request, built line by line so that
// each test can break exactly one thing.
type hsRequest struct {
	line    string // the request line
	headers []hsHeader
}

// validHandshake returns a correct request for host.
func validHandshake(host string) *hsRequest {
	return &hsRequest{
		line: "GET /ws HTTP/1.1",
		headers: []hsHeader{
			{"Host", host},
			{"Upgrade", "websocket"},
			{"Connection", "Upgrade"},
			{"Sec-WebSocket-Key", rfcKey},
			{"Sec-WebSocket-Version", "13"},
		},
	}
}

// set replaces every header name (any case) with value, or adds it.
func (r *hsRequest) set(name, value string) *hsRequest {
	r.del(name)
	r.headers = append(r.headers, hsHeader{name, value})
	return r
}

// add adds a header line, keeping existing ones.
func (r *hsRequest) add(name, value string) *hsRequest {
	r.headers = append(r.headers, hsHeader{name, value})
	return r
}

// del removes every header name.
func (r *hsRequest) del(name string) *hsRequest {
	kept := r.headers[:0]
	for _, h := range r.headers {
		if !strings.EqualFold(h.name, name) {
			kept = append(kept, h)
		}
	}
	r.headers = kept
	return r
}

func (r *hsRequest) String() string {
	var b strings.Builder
	b.WriteString(r.line + "\r\n")
	for _, h := range r.headers {
		b.WriteString(h.name + ": " + h.value + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// hsServer is a server whose handler only calls Accept; the result of
// each Accept goes to results.
type hsServer struct {
	addr    string
	results chan hsResult
}

type hsResult struct {
	err         error
	subprotocol string
	header      http.Header
	host        string
}

// hsModes are the two ways a request reaches Accept: through net/http's
// own connection, and through ServeListener, which reads a WebSocket
// handshake itself and hands any other request to net/http.
var hsModes = []string{"net/http", "ServeListener"}

func startHandshakeServer(t *testing.T, opts *websocket.AcceptOptions, configure func(*http.Server)) *hsServer {
	t.Helper()
	return startHandshakeServerVia(t, "net/http", opts, configure)
}

// startHandshakeServerVia starts a handshake server served the way mode
// (one of hsModes) names.
func startHandshakeServerVia(t *testing.T, mode string, opts *websocket.AcceptOptions, configure func(*http.Server)) *hsServer {
	t.Helper()
	hs := &hsServer{results: make(chan hsResult, 16)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		res := hsResult{err: err, header: r.Header.Clone(), host: r.Host}
		if err == nil {
			res.subprotocol = c.Subprotocol()
			c.CloseNow()
		}
		hs.results <- res
	})}
	if configure != nil {
		configure(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	switch mode {
	case "net/http":
		go func() { served <- srv.Serve(ln) }()
	case "ServeListener":
		go func() { served <- websocket.ServeListener(srv, ln) }()
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; err != http.ErrServerClosed {
			t.Errorf("%s returned %v, want http.ErrServerClosed", mode, err)
		}
	})
	hs.addr = ln.Addr().String()
	return hs
}

// result waits for the next Accept.
func (hs *hsServer) result(t *testing.T) hsResult {
	t.Helper()
	select {
	case r := <-hs.results:
		return r
	case <-time.After(rawWait):
		t.Fatal("handler did not run")
		return hsResult{}
	}
}

// roundTrip sends a raw request and reads the response and its body.
func roundTrip(t *testing.T, addr, req string) (*http.Response, string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, rawWait)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(rawWait))
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, ""
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp, string(body)
}

// checkRefused checks a refused handshake: the status, a one-line
// reason in the body that mentions want, and the error Accept returned.
func checkRefused(t *testing.T, hs *hsServer, req *hsRequest, status int, want string) *http.Response {
	t.Helper()
	resp, body := roundTrip(t, hs.addr, req.String())
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, status, body)
	}
	reason := strings.TrimSuffix(body, "\n")
	if reason == "" || strings.ContainsAny(reason, "\r\n") {
		t.Fatalf("body %q is not a one-line reason", body)
	}
	if !strings.Contains(strings.ToLower(reason), strings.ToLower(want)) {
		t.Fatalf("reason %q does not mention %q", reason, want)
	}
	res := hs.result(t)
	var herr *websocket.HandshakeError
	if !errors.As(res.err, &herr) || herr.Status != status || herr.Reason != reason {
		t.Fatalf("Accept returned %v, want a *HandshakeError with %d and the body's reason", res.err, status)
	}
	return resp
}

// checkAccepted checks that the handshake succeeds.
func checkAccepted(t *testing.T, hs *hsServer, req *hsRequest) (*http.Response, hsResult) {
	t.Helper()
	resp, body := roundTrip(t, hs.addr, req.String())
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d %q, want 101", resp.StatusCode, body)
	}
	key := ""
	for _, h := range req.headers {
		if strings.EqualFold(h.name, "Sec-WebSocket-Key") {
			key = h.value
		}
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != wantAccept(key) {
		t.Fatalf("Sec-WebSocket-Accept %q, want %q", got, wantAccept(key))
	}
	res := hs.result(t)
	if res.err != nil {
		t.Fatalf("Accept: %v", res.err)
	}
	return resp, res
}

func b64(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }

func TestAcceptRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		edit   func(*hsRequest)
		status int
		want   string // a word the reason must contain
	}{
		{"POST", func(r *hsRequest) { r.line = "POST /ws HTTP/1.1"; r.add("Content-Length", "0") }, 405, "GET"},
		{"PUT", func(r *hsRequest) { r.line = "PUT /ws HTTP/1.1"; r.add("Content-Length", "0") }, 405, "PUT"},
		{"HTTP/1.0", func(r *hsRequest) { r.line = "GET /ws HTTP/1.0" }, 400, "HTTP/1.1"},
		{"no Upgrade", func(r *hsRequest) { r.del("Upgrade") }, 426, "Upgrade"},
		{"Upgrade h2c", func(r *hsRequest) { r.set("Upgrade", "h2c") }, 426, "Upgrade"},
		{"Upgrade websocket2", func(r *hsRequest) { r.set("Upgrade", "websocket2") }, 426, "Upgrade"},
		{"no Connection", func(r *hsRequest) { r.del("Connection") }, 400, "Connection"},
		{"Connection keep-alive", func(r *hsRequest) { r.set("Connection", "keep-alive") }, 400, "Connection"},
		{"Connection upgraded", func(r *hsRequest) { r.set("Connection", "upgraded") }, 400, "Connection"},
		{"no key", func(r *hsRequest) { r.del("Sec-WebSocket-Key") }, 400, "Sec-WebSocket-Key"},
		{"short key", func(r *hsRequest) { r.set("Sec-WebSocket-Key", "abc") }, 400, "Sec-WebSocket-Key"},
		{"15-byte key", func(r *hsRequest) { r.set("Sec-WebSocket-Key", b64(15)) }, 400, "16 bytes"},
		{"17-byte key", func(r *hsRequest) { r.set("Sec-WebSocket-Key", b64(17)) }, 400, "16 bytes"},
		{"unpadded key", func(r *hsRequest) { r.set("Sec-WebSocket-Key", strings.TrimRight(b64(16), "=")) }, 400, "16 bytes"},
		{"non-base64 key", func(r *hsRequest) { r.set("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!==") }, 400, "base64"},
		{"two keys", func(r *hsRequest) { r.add("Sec-WebSocket-Key", b64(16)) }, 400, "Sec-WebSocket-Key"},
		{"no version", func(r *hsRequest) { r.del("Sec-WebSocket-Version") }, 426, "13"},
		{"version 12", func(r *hsRequest) { r.set("Sec-WebSocket-Version", "12") }, 426, "12"},
		{"version 8", func(r *hsRequest) { r.set("Sec-WebSocket-Version", "8") }, 426, "13"},
		{"version list", func(r *hsRequest) { r.set("Sec-WebSocket-Version", "13, 8") }, 426, "13"},
	}
	for _, mode := range hsModes {
		t.Run(mode, func(t *testing.T) {
			hs := startHandshakeServerVia(t, mode, nil, nil)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					req := validHandshake(hs.addr)
					tc.edit(req)
					resp := checkRefused(t, hs, req, tc.status, tc.want)
					switch tc.status {
					case http.StatusUpgradeRequired:
						if v := resp.Header.Get("Sec-WebSocket-Version"); v != "13" {
							t.Errorf("426 response has Sec-WebSocket-Version %q, want 13", v)
						}
					case http.StatusMethodNotAllowed:
						if v := resp.Header.Get("Allow"); v != "GET" {
							t.Errorf("405 response has Allow %q, want GET", v)
						}
					}
				})
			}
		})
	}
}

func TestAcceptTokenLists(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*hsRequest)
	}{
		{"Connection list", func(r *hsRequest) { r.set("Connection", "keep-alive, Upgrade") }},
		{"Connection lower case", func(r *hsRequest) { r.set("Connection", "upgrade") }},
		{"Connection list without spaces", func(r *hsRequest) { r.set("Connection", "keep-alive,UPGRADE,close") }},
		{"Connection on two lines", func(r *hsRequest) { r.set("Connection", "keep-alive").add("Connection", "Upgrade") }},
		{"Upgrade WebSocket", func(r *hsRequest) { r.set("Upgrade", "WebSocket") }},
		{"Upgrade list", func(r *hsRequest) { r.set("Upgrade", "foo/2, websocket") }},
		{"lower-case header names", func(r *hsRequest) {
			r.del("Upgrade").del("Connection").add("upgrade", "websocket").add("connection", "upgrade")
		}},
		{"odd spacing", func(r *hsRequest) { r.set("Connection", "  Upgrade  ") }},
	}
	for _, mode := range hsModes {
		t.Run(mode, func(t *testing.T) {
			hs := startHandshakeServerVia(t, mode, nil, nil)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					req := validHandshake(hs.addr)
					tc.edit(req)
					checkAccepted(t, hs, req)
				})
			}
		})
	}
}

func TestAcceptResponseHeaders(t *testing.T) {
	t.Parallel()
	for _, mode := range hsModes {
		t.Run(mode, func(t *testing.T) { testAcceptResponseHeaders(t, mode) })
	}
}

func testAcceptResponseHeaders(t *testing.T, mode string) {
	hs := startHandshakeServerVia(t, mode, nil, nil)
	resp, _ := checkAccepted(t, hs, validHandshake(hs.addr))
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != rfcAccept {
		t.Fatalf("Sec-WebSocket-Accept %q, want the RFC's %q", got, rfcAccept)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") || !strings.EqualFold(resp.Header.Get("Connection"), "Upgrade") {
		t.Fatalf("response headers %v", resp.Header)
	}
	if v := resp.Header.Values("Sec-WebSocket-Protocol"); len(v) != 0 {
		t.Fatalf("Sec-WebSocket-Protocol %q without an offer", v)
	}
	if v := resp.Header.Values("Sec-WebSocket-Extensions"); len(v) != 0 {
		t.Fatalf("Sec-WebSocket-Extensions %q without an offer", v)
	}
}

func TestAcceptOrigin(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		opts   *websocket.AcceptOptions
		origin string // "" for none; "SELF" for the server's own host
		ok     bool
	}{
		{"no Origin", nil, "", true},
		{"same host", nil, "SELF", true},
		{"other host", nil, "https://evil.example", false},
		{"same host other port", nil, "http://127.0.0.1:1", false},
		{"not a URL", nil, "null", false},
		{"pattern", &websocket.AcceptOptions{OriginPatterns: []string{"*.example.com"}}, "https://a.example.com", true},
		{"pattern matches any port", &websocket.AcceptOptions{OriginPatterns: []string{"*.example.com"}}, "https://a.example.com:8443", true},
		{"pattern is case-blind", &websocket.AcceptOptions{OriginPatterns: []string{"*.Example.com"}}, "https://A.EXAMPLE.COM", true},
		{"pattern needs a subdomain", &websocket.AcceptOptions{OriginPatterns: []string{"*.example.com"}}, "https://example.com", false},
		{"pattern other domain", &websocket.AcceptOptions{OriginPatterns: []string{"*.example.com"}}, "https://a.example.org", false},
		{"pattern with port", &websocket.AcceptOptions{OriginPatterns: []string{"example.com:8080"}}, "https://example.com:9090", false},
		{"InsecureSkipVerify", &websocket.AcceptOptions{InsecureSkipVerify: true}, "https://evil.example", true},
		{"InsecureSkipVerify null", &websocket.AcceptOptions{InsecureSkipVerify: true}, "null", true},
	}
	for _, tc := range cases {
		for _, mode := range hsModes {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				testAcceptOrigin(t, mode, tc.opts, tc.origin, tc.ok)
			})
		}
	}
}

func testAcceptOrigin(t *testing.T, mode string, opts *websocket.AcceptOptions, origin string, ok bool) {
	hs := startHandshakeServerVia(t, mode, opts, nil)
	req := validHandshake(hs.addr)
	if origin == "SELF" {
		origin = "http://" + hs.addr
	}
	if origin != "" {
		req.set("Origin", origin)
	}
	if ok {
		checkAccepted(t, hs, req)
	} else {
		checkRefused(t, hs, req, http.StatusForbidden, "origin")
	}
}

// TestAcceptHeaderTooLarge checks that oversized handshake headers are
// refused by the server's MaxHeaderBytes before Accept runs.
func TestAcceptHeaderTooLarge(t *testing.T) {
	t.Parallel()
	for _, mode := range hsModes {
		t.Run(mode, func(t *testing.T) { testAcceptHeaderTooLarge(t, mode) })
	}
}

func testAcceptHeaderTooLarge(t *testing.T, mode string) {
	hs := startHandshakeServerVia(t, mode, nil, func(s *http.Server) { s.MaxHeaderBytes = 1 << 10 })
	// net/http allows MaxHeaderBytes plus 4 KiB of slack; go well past it
	// while staying within what the socket buffers hold.
	req := validHandshake(hs.addr).add("X-Padding", strings.Repeat("p", 16<<10))
	resp, _ := roundTrip(t, hs.addr, req.String())
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
	select {
	case r := <-hs.results:
		t.Fatalf("handler ran (Accept returned %v)", r.err)
	default:
	}
	// A request just under the limit still works.
	checkAccepted(t, hs, validHandshake(hs.addr).add("X-Padding", strings.Repeat("p", 512)))
}

func TestAcceptSubprotocol(t *testing.T) {
	t.Parallel()
	var offeredMu sync.Mutex
	var offered []string
	selectLast := func(r *http.Request, o []string) string {
		offeredMu.Lock()
		offered = append([]string(nil), o...)
		offeredMu.Unlock()
		return o[len(o)-1]
	}
	cases := []struct {
		name  string
		opts  *websocket.AcceptOptions
		offer []string // header lines
		want  string
	}{
		{"server preference wins", &websocket.AcceptOptions{Subprotocols: []string{"b", "a"}}, []string{"a, b"}, "b"},
		{"server preference across lines", &websocket.AcceptOptions{Subprotocols: []string{"b", "a"}}, []string{"a", "b"}, "b"},
		{"first common", &websocket.AcceptOptions{Subprotocols: []string{"x", "a", "b"}}, []string{"b,a"}, "a"},
		{"none in common", &websocket.AcceptOptions{Subprotocols: []string{"a"}}, []string{"c, d"}, ""},
		{"case matters", &websocket.AcceptOptions{Subprotocols: []string{"chat"}}, []string{"Chat"}, ""},
		{"nothing offered", &websocket.AcceptOptions{Subprotocols: []string{"a"}}, nil, ""},
		{"server speaks none", nil, []string{"a"}, ""},
		{"SelectSubprotocol", &websocket.AcceptOptions{Subprotocols: []string{"x"}, SelectSubprotocol: selectLast}, []string{"x, y", "z"}, "z"},
		{"SelectSubprotocol not offered", &websocket.AcceptOptions{SelectSubprotocol: func(*http.Request, []string) string { return "bogus" }}, []string{"a"}, ""},
		{"SelectSubprotocol none", &websocket.AcceptOptions{SelectSubprotocol: func(*http.Request, []string) string { return "" }}, []string{"a"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs := startHandshakeServer(t, tc.opts, nil)
			req := validHandshake(hs.addr)
			for _, o := range tc.offer {
				req.add("Sec-WebSocket-Protocol", o)
			}
			resp, res := checkAccepted(t, hs, req)
			got := resp.Header.Values("Sec-WebSocket-Protocol")
			if tc.want == "" && len(got) != 0 || tc.want != "" && (len(got) != 1 || got[0] != tc.want) {
				t.Fatalf("response Sec-WebSocket-Protocol %q, want %q", got, tc.want)
			}
			if res.subprotocol != tc.want {
				t.Fatalf("server's Subprotocol() = %q, want %q", res.subprotocol, tc.want)
			}
		})
	}
	offeredMu.Lock()
	defer offeredMu.Unlock()
	if !reflect.DeepEqual(offered, []string{"x", "y", "z"}) {
		t.Fatalf("SelectSubprotocol saw %q, want [x y z]", offered)
	}
}

func TestDialSubprotocol(t *testing.T) {
	t.Parallel()
	hs := startHandshakeServer(t, &websocket.AcceptOptions{Subprotocols: []string{"v2.chat", "v1.chat"}}, nil)
	c, resp, err := websocket.Dial(dialCtx(t), "ws://"+hs.addr, &websocket.DialOptions{Subprotocols: []string{"v1.chat", "v2.chat"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	res := hs.result(t)
	if c.Subprotocol() != "v2.chat" || res.subprotocol != "v2.chat" || resp.Header.Get("Sec-WebSocket-Protocol") != "v2.chat" {
		t.Fatalf("client %q, server %q, want v2.chat", c.Subprotocol(), res.subprotocol)
	}
	if got := res.header.Get("Sec-WebSocket-Protocol"); got != "v1.chat, v2.chat" {
		t.Fatalf("client offered %q", got)
	}
}

// respondWith returns a fake server's behaviour: answer the handshake
// with the response that build returns for the request's key.
func respondWith(build func(key string) string) func(net.Conn, *bufio.Reader, *http.Request) {
	return func(nc net.Conn, br *bufio.Reader, req *http.Request) {
		io.WriteString(nc, build(req.Header.Get("Sec-WebSocket-Key")))
		// Give the client time to read before the connection closes.
		nc.SetReadDeadline(time.Now().Add(rawWait))
		io.Copy(io.Discard, br)
	}
}

func TestDialRefusesBadResponse(t *testing.T) {
	t.Parallel()
	ok := func(key string) string {
		return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + wantAccept(key) + "\r\n"
	}
	cases := []struct {
		name   string
		offer  []string
		build  func(key string) string
		want   []string // substrings of the error
		status int      // of the returned response, if any
	}{
		{"wrong accept", nil, func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"
		}, []string{"Sec-WebSocket-Accept", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}, 101},
		{"missing accept", nil, func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
		}, []string{"Sec-WebSocket-Accept"}, 101},
		{"403", nil, func(string) string {
			return "HTTP/1.1 403 Forbidden\r\nContent-Length: 11\r\n\r\nnot for you"
		}, []string{"403 Forbidden", "101"}, 403},
		{"200", nil, func(string) string {
			return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
		}, []string{"200 OK", "101"}, 200},
		{"subprotocol not offered", []string{"chat"}, func(key string) string {
			return ok(key) + "Sec-WebSocket-Protocol: superchat\r\n\r\n"
		}, []string{"subprotocol", `"superchat"`, "not offered"}, 101},
		{"subprotocol without offer", nil, func(key string) string {
			return ok(key) + "Sec-WebSocket-Protocol: chat\r\n\r\n"
		}, []string{"subprotocol", `"chat"`, "not offered"}, 101},
		{"two subprotocols", []string{"a", "b"}, func(key string) string {
			return ok(key) + "Sec-WebSocket-Protocol: a, b\r\n\r\n"
		}, []string{"subprotocol", "a, b"}, 101},
		{"extension not offered", nil, func(key string) string {
			return ok(key) + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
		}, []string{"extensions", "permessage-deflate"}, 101},
		{"missing Upgrade", nil, func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + wantAccept(key) + "\r\n\r\n"
		}, []string{`"Upgrade: websocket"`}, 101},
		{"wrong Upgrade", nil, func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + wantAccept(key) + "\r\n\r\n"
		}, []string{`"Upgrade: websocket"`, "h2c"}, 101},
		{"missing Connection", nil, func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " + wantAccept(key) + "\r\n\r\n"
		}, []string{`"Connection: Upgrade"`}, 101},
		{"not HTTP", nil, func(string) string { return "SSH-2.0-OpenSSH_9.6\r\n" }, []string{"handshake response"}, 0},
		{"huge headers", nil, func(key string) string {
			return ok(key) + "X-Padding: " + strings.Repeat("p", 70<<10) + "\r\n\r\n"
		}, []string{"64 KiB"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wsURL := fakeServer(t, respondWith(tc.build))
			c, resp, err := websocket.Dial(dialCtx(t), wsURL, &websocket.DialOptions{Subprotocols: tc.offer})
			if err == nil {
				c.CloseNow()
				t.Fatal("Dial succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			switch {
			case tc.status == 0 && resp != nil:
				t.Errorf("got a response %s", resp.Status)
			case tc.status != 0 && (resp == nil || resp.StatusCode != tc.status):
				t.Errorf("response %v, want status %d", resp, tc.status)
			}
			if tc.status == 403 {
				body, _ := io.ReadAll(resp.Body)
				if string(body) != "not for you" {
					t.Errorf("response body %q", body)
				}
			}
		})
	}
}

func TestDialRefusesURL(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"ws://example.com/chat#frag": "fragment",
		"ws://example.com/#":         "fragment",
		"ftp://example.com/":         "scheme",
		"example.com/chat":           "scheme",
		"ws:///chat":                 "host",
		"ws://exa mple.com/":         "URL",
	}
	for raw, want := range cases {
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			dialed := false
			opts := &websocket.DialOptions{NetDialContext: func(context.Context, string, string) (net.Conn, error) {
				dialed = true
				return nil, errors.New("must not dial")
			}}
			_, _, err := websocket.Dial(dialCtx(t), raw, opts)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Dial(%q) error %v, want one mentioning %q", raw, err, want)
			}
			if dialed {
				t.Fatal("Dial connected for a bad URL")
			}
		})
	}
}

func TestDialRefusesHandshakeHeaders(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"} {
		h := http.Header{}
		h.Set(name, "x")
		_, _, err := websocket.Dial(dialCtx(t), "ws://127.0.0.1:1/", &websocket.DialOptions{HTTPHeader: h})
		if err == nil || !strings.Contains(err.Error(), http.CanonicalHeaderKey(name)) {
			t.Errorf("HTTPHeader with %s: %v", name, err)
		}
	}
}

// silentServer accepts connections and reads the request, but never
// answers.
func silentServer(t *testing.T) string {
	t.Helper()
	return fakeServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
		nc.SetReadDeadline(time.Now().Add(rawWait))
		io.Copy(io.Discard, br)
	})
}

func TestDialContext(t *testing.T) {
	t.Parallel()
	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		wsURL := silentServer(t)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := websocket.Dial(ctx, wsURL, nil)
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Fatalf("Dial returned after %v", elapsed)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial error %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		wsURL := silentServer(t)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, _, err := websocket.Dial(ctx, wsURL, nil)
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Fatalf("Dial returned after %v", elapsed)
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial error %v, want context.Canceled", err)
		}
	})
	// A proxy that takes the CONNECT request and never answers: the
	// context bounds that wait too.
	silentProxy := func(t *testing.T) func(*http.Request) (*url.URL, error) {
		u, err := url.Parse("http://" + strings.TrimPrefix(silentServer(t), "ws://"))
		if err != nil {
			t.Fatal(err)
		}
		return http.ProxyURL(u)
	}
	t.Run("proxy deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := websocket.Dial(ctx, "ws://127.0.0.1:9/", &websocket.DialOptions{Proxy: silentProxy(t)})
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Fatalf("Dial returned after %v", elapsed)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial error %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("proxy cancel", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		// The silent proxy hangs up after rawWait, which bounds this test.
		_, _, err := websocket.Dial(ctx, "ws://127.0.0.1:9/", &websocket.DialOptions{Proxy: silentProxy(t)})
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Fatalf("Dial returned after %v, not when its context was cancelled (error %v)", elapsed, err)
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial error %v, want context.Canceled", err)
		}
	})
}

// connectProxy is a minimal HTTP CONNECT proxy.
type connectProxy struct {
	url  string
	mu   sync.Mutex
	auth []string // Proxy-Authorization of each CONNECT
	dest []string // each CONNECT's target
}

func startConnectProxy(t *testing.T, status int) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{url: "http://" + ln.Addr().String()}
	var wg sync.WaitGroup
	var conns sync.Map
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Store(nc, true)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				p.serve(nc, status, &conns)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	return p
}

func (p *connectProxy) serve(nc net.Conn, status int, conns *sync.Map) {
	nc.SetDeadline(time.Now().Add(rawWait))
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.auth = append(p.auth, req.Header.Get("Proxy-Authorization"))
	p.dest = append(p.dest, req.Host)
	p.mu.Unlock()
	if req.Method != http.MethodConnect {
		io.WriteString(nc, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if status != http.StatusOK {
		fmt.Fprintf(nc, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", status, http.StatusText(status))
		return
	}
	up, err := net.DialTimeout("tcp", req.Host, rawWait)
	if err != nil {
		io.WriteString(nc, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	conns.Store(up, true)
	defer up.Close()
	io.WriteString(nc, "HTTP/1.1 200 Connection established\r\n\r\n")
	nc.SetDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		io.Copy(up, br)
		up.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(nc, up)
	nc.(*net.TCPConn).CloseWrite()
	<-done
}

func TestDialThroughProxy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		userinfo string
		wantAuth string
	}{
		{"anonymous", "", ""},
		{"with credentials", "alice:s3cret@", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))},
		{"user only", "bob@", "Basic " + base64.StdEncoding.EncodeToString([]byte("bob:"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wsURL := echoServer(t, nil)
			target := strings.TrimPrefix(wsURL, "ws://")
			p := startConnectProxy(t, http.StatusOK)
			proxyURL, err := url.Parse(strings.Replace(p.url, "http://", "http://"+tc.userinfo, 1))
			if err != nil {
				t.Fatal(err)
			}
			c, _, err := websocket.Dial(dialCtx(t), wsURL, &websocket.DialOptions{Proxy: http.ProxyURL(proxyURL)})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			ctx := dialCtx(t)
			if err := c.Write(ctx, websocket.MessageText, []byte("through the tunnel")); err != nil {
				t.Fatal(err)
			}
			if _, msg, err := c.Read(ctx); err != nil || string(msg) != "through the tunnel" {
				t.Fatalf("echo: %q, %v", msg, err)
			}
			if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
				t.Fatalf("close: %v", err)
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			if len(p.dest) != 1 || p.dest[0] != target {
				t.Fatalf("proxy saw CONNECT to %q, want %q", p.dest, target)
			}
			if p.auth[0] != tc.wantAuth {
				t.Fatalf("Proxy-Authorization %q, want %q", p.auth[0], tc.wantAuth)
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		p := startConnectProxy(t, http.StatusProxyAuthRequired)
		proxyURL, _ := url.Parse(p.url)
		_, _, err := websocket.Dial(dialCtx(t), "ws://127.0.0.1:9/", &websocket.DialOptions{Proxy: http.ProxyURL(proxyURL)})
		if err == nil || !strings.Contains(err.Error(), "407") {
			t.Fatalf("Dial through a refusing proxy: %v, want an error with 407", err)
		}
	})
}

func TestDialHTTPHeader(t *testing.T) {
	t.Parallel()
	hs := startHandshakeServer(t, nil, nil)
	h := http.Header{}
	h.Set("X-Request-Id", "abc-123")
	h.Add("X-Multi", "one")
	h.Add("X-Multi", "two")
	h.Set("Cookie", "sid=s1")
	h.Set("Authorization", "Bearer token")
	h.Set("Host", "chat.example.test")
	c, _, err := websocket.Dial(dialCtx(t), "ws://"+hs.addr+"/path?q=1", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	res := hs.result(t)
	for _, name := range []string{"X-Request-Id", "X-Multi", "Cookie", "Authorization"} {
		if got, want := res.header.Values(name), h.Values(name); !reflect.DeepEqual(got, want) {
			t.Errorf("server saw %s %q, want %q", name, got, want)
		}
	}
	if res.host != "chat.example.test" {
		t.Errorf("server saw Host %q", res.host)
	}
}
