package websocket

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// listenWait bounds every wait of these tests.
const listenWait = 5 * time.Second

// seenRequest is what a handler saw of a request.
type seenRequest struct {
	writer     string // the ResponseWriter's type
	method     string
	url        string
	proto      string
	major      int
	minor      int
	header     http.Header
	host       string
	close      bool
	requestURI string
	remoteHost string
	server     bool // the context holds the server
	localAddr  string
	length     int64
	hasBody    bool
}

// listenServer is a server that records each request, then calls Accept
// and echoes one message, or answers 204 to a request that is not a
// handshake.
type listenServer struct {
	addr  string
	srv   *http.Server
	seen  chan seenRequest
	state chan http.ConnState
	done  chan error
}

// startListenServer starts a server with ServeListener when direct is
// true, and with net/http's own Serve otherwise.
func startListenServer(t *testing.T, direct bool, configure func(*http.Server)) *listenServer {
	t.Helper()
	ls := &listenServer{seen: make(chan seenRequest, 16), state: make(chan http.ConnState, 64), done: make(chan error, 1)}
	ls.srv = &http.Server{
		Handler: http.HandlerFunc(ls.handle),
		ConnState: func(_ net.Conn, s http.ConnState) {
			select {
			case ls.state <- s:
			default:
			}
		},
	}
	if configure != nil {
		configure(ls.srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ls.addr = ln.Addr().String()
	go func() {
		if direct {
			ls.done <- ServeListener(ls.srv, ln)
		} else {
			ls.done <- ls.srv.Serve(ln)
		}
	}()
	t.Cleanup(func() { ls.srv.Close() })
	return ls
}

func (ls *listenServer) handle(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	seen := seenRequest{
		writer: fmt.Sprintf("%T", w), method: r.Method, url: r.URL.String(), proto: r.Proto,
		major: r.ProtoMajor, minor: r.ProtoMinor, header: r.Header.Clone(), host: r.Host,
		close: r.Close, requestURI: r.RequestURI, remoteHost: host,
		server: r.Context().Value(http.ServerContextKey) == ls.srv, length: r.ContentLength,
		hasBody: r.Body != nil && r.Body != http.NoBody,
	}
	if local != nil {
		seen.localAddr = local.String()
	}
	if r.Header.Get("Upgrade") == "" {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
		ls.seen <- seen
		return
	}
	ls.seen <- seen
	c, err := Accept(w, r, &AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), listenWait)
	defer cancel()
	typ, p, err := c.Read(ctx)
	if err == nil {
		c.Write(ctx, typ, p)
	}
}

func (ls *listenServer) next(t *testing.T) seenRequest {
	t.Helper()
	select {
	case s := <-ls.seen:
		return s
	case <-time.After(listenWait):
		t.Fatal("the handler did not run")
		return seenRequest{}
	}
}

// dialRaw opens a TCP connection to addr, bounded by listenWait and
// closed when the test ends.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(listenWait))
	return nc
}

// echoOnce dials url, sends msg and checks that it comes back.
func echoOnce(t *testing.T, url, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), listenWait)
	defer cancel()
	c, _, err := Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	_, p, err := c.Read(ctx)
	if err != nil || string(p) != msg {
		t.Fatalf("echo %q, %v; want %q", p, err, msg)
	}
}

func TestServeListenerReadsHandshakes(t *testing.T) {
	ls := startListenServer(t, true, nil)
	echoOnce(t, "ws://"+ls.addr+"/chat?room=a", "hello")
	if s := ls.next(t); s.writer != "*websocket.upgradeResponse" {
		t.Fatalf("the handshake reached the handler through %s, want ServeListener's writer", s.writer)
	}
	var states []http.ConnState
	for len(states) < 3 {
		select {
		case s := <-ls.state:
			states = append(states, s)
		case <-time.After(listenWait):
			t.Fatalf("connection states %v, want new, active, hijacked", states)
		}
	}
	if want := []http.ConnState{http.StateNew, http.StateActive, http.StateHijacked}; !reflect.DeepEqual(states, want) {
		t.Fatalf("connection states %v, want %v", states, want)
	}
}

// TestServeListenerHandsOffOtherRequests checks that requests that are
// not WebSocket handshakes reach net/http as they came: a GET and a POST
// with a body on one kept-alive connection.
func TestServeListenerHandsOffOtherRequests(t *testing.T) {
	ls := startListenServer(t, true, nil)
	nc := dialRaw(t, ls.addr)
	io.WriteString(nc, "GET /page HTTP/1.1\r\nHost: x\r\n\r\nPOST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
	br := bufio.NewReader(nc)
	for _, path := range []string{"/page", "/form"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s: status %d", path, resp.StatusCode)
		}
		s := ls.next(t)
		if s.url != path || s.writer != "*http.response" {
			t.Fatalf("%s reached the handler as %s through %s, want net/http's writer", path, s.url, s.writer)
		}
	}
}

// TestServeListenerHandsOffUnusualHeads checks that a handshake whose
// head ServeListener does not read itself still works, through net/http.
func TestServeListenerHandsOffUnusualHeads(t *testing.T) {
	ls := startListenServer(t, true, nil)
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	head := "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	cases := []struct {
		name  string
		parts []string // written apart, with a pause between them
	}{
		{"head in two writes", []string{head, "\r\n"}},
		{"absolute-form target", []string{strings.Replace(head, "/ws", "http://x/ws", 1) + "\r\n"}},
		{"longer than the head buffer", []string{head + "X-Padding: " + strings.Repeat("p", headBufferSize) + "\r\n\r\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc := dialRaw(t, ls.addr)
			for i, p := range tc.parts {
				if i > 0 {
					time.Sleep(50 * time.Millisecond)
				}
				io.WriteString(nc, p)
			}
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key) {
				t.Fatalf("status %d, header %v", resp.StatusCode, resp.Header)
			}
			if s := ls.next(t); s.writer != "*http.response" {
				t.Fatalf("the head reached the handler through %s, want net/http's writer", s.writer)
			}
		})
	}
}

// TestServeListenerRequestAsNetHTTP sends the same handshakes to a
// server of net/http and to one of ServeListener, and checks that their
// handlers see the same request.
func TestServeListenerRequestAsNetHTTP(t *testing.T) {
	heads := []string{
		"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: example.com:8080\r\nConnection: Upgrade\r\nPragma: no-cache\r\n" +
			"Cache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nUpgrade: websocket\r\nOrigin: http://example.com:8080\r\n" +
			"Sec-WebSocket-Version: 13\r\nAccept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n" +
			"Cookie: io=abc; theme=dark\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
			"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
		"GET /a%20b/c?x=1&x=2&y=%2F HTTP/1.1\r\nhost: [::1]:80\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\n" +
			"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\nx-many: 1\r\nX-Many: 2\r\n" +
			"Pragma: no-cache\r\nX-Spaces:   padded value \t\r\nX-Empty:\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
			"Sec-WebSocket-Version: 13\r\nX-Under_score: u\r\nX-Obs-Text: caf\xc3\xa9\r\n\r\n",
	}
	direct := startListenServer(t, true, nil)
	plain := startListenServer(t, false, nil)
	for i, head := range heads {
		var got [2]seenRequest
		for j, ls := range []*listenServer{plain, direct} {
			nc := dialRaw(t, ls.addr)
			io.WriteString(nc, head)
			got[j] = ls.next(t)
			if want := []string{"*http.response", "*websocket.upgradeResponse"}[j]; got[j].writer != want {
				t.Fatalf("head %d reached the handler through %s, want %s", i, got[j].writer, want)
			}
			got[j].writer, got[j].localAddr = "", strings.Replace(got[j].localAddr, ls.addr, "ADDR", 1)
			nc.Close()
		}
		if !reflect.DeepEqual(got[0], got[1]) {
			t.Errorf("head %d:\nnet/http:       %+v\nServeListener:  %+v", i, got[0], got[1])
		}
		if !got[1].server || got[1].localAddr != "ADDR" {
			t.Errorf("head %d: the context lacks the server or the local address: %+v", i, got[1])
		}
	}
}

// TestServeListenerEarlyMessage checks that a message sent right behind
// the handshake, in the same write, is read as the first message.
func TestServeListenerEarlyMessage(t *testing.T) {
	ls := startListenServer(t, true, nil)
	nc := dialRaw(t, ls.addr)
	frame := []byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}
	io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"+string(frame))
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("response %v, %v", resp, err)
	}
	echo := make([]byte, 4)
	if _, err := io.ReadFull(br, echo); err != nil || !bytes.Equal(echo, []byte{0x81, 2, 'h', 'i'}) {
		t.Fatalf("echo % x, %v", echo, err)
	}
	if s := ls.next(t); s.writer != "*websocket.upgradeResponse" {
		t.Fatalf("the handshake reached the handler through %s", s.writer)
	}
}

// TestServeListenerRefusal checks the response of a handler that does
// not take the connection over: written in full, then the connection
// closed.
func TestServeListenerRefusal(t *testing.T) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Reason", "full")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "<html>come back later</html>")
	})}
	addr := serveListenerOn(t, srv)
	nc := dialRaw(t, addr)
	io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || string(body) != "<html>come back later</html>" ||
		resp.Header.Get("X-Reason") != "full" || !resp.Close || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("Date") == "" {
		t.Fatalf("response %d %q, header %v, close %v", resp.StatusCode, body, resp.Header, resp.Close)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after the response: %v, want EOF", err)
	}
}

// serveListenerOn serves srv with ServeListener on a new listener and
// returns its address.
func serveListenerOn(t *testing.T, srv *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ServeListener(srv, ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestServeListenerPanic checks that a handler's panic is logged and
// closes the connection, as net/http does.
func TestServeListenerPanic(t *testing.T) {
	var logged syncBuffer
	srv := &http.Server{
		Handler:  http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("handler broke") }),
		ErrorLog: log.New(&logged, "", 0),
	}
	addr := serveListenerOn(t, srv)
	nc := dialRaw(t, addr)
	io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n")
	if n, err := nc.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read %d bytes, %v; want EOF", n, err)
	}
	if !strings.Contains(logged.String(), "panic serving") || !strings.Contains(logged.String(), "handler broke") {
		t.Fatalf("logged %q", logged.String())
	}
}

// syncBuffer is a bytes.Buffer for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestServeListenerHeaderTimeout checks that a connection that sends
// nothing is closed after ReadHeaderTimeout.
func TestServeListenerHeaderTimeout(t *testing.T) {
	srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 50 * time.Millisecond}
	addr := serveListenerOn(t, srv)
	nc := dialRaw(t, addr)
	if n, err := nc.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read %d bytes, %v; want EOF", n, err)
	}
}

// TestServeListenerShutdown checks that Shutdown stops ServeListener,
// which returns http.ErrServerClosed, and leaves a WebSocket connection
// it handed over open, as net/http leaves a hijacked one.
func TestServeListenerShutdown(t *testing.T) {
	ls := startListenServer(t, true, nil)
	ctx, cancel := context.WithTimeout(context.Background(), listenWait)
	defer cancel()
	c, _, err := Dial(ctx, "ws://"+ls.addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ls.next(t)
	if err := ls.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ls.done:
		if err != http.ErrServerClosed {
			t.Fatalf("ServeListener returned %v, want http.ErrServerClosed", err)
		}
	case <-time.After(listenWait):
		t.Fatal("ServeListener did not return")
	}
	if err := c.Write(ctx, MessageText, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.Read(ctx); err != nil || string(p) != "still here" {
		t.Fatalf("echo after Shutdown: %q, %v", p, err)
	}
	if _, err := net.Dial("tcp", ls.addr); err == nil {
		t.Fatal("the listener still accepts after Shutdown")
	}
}

func TestHeadEnd(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\nrest", 27},
		{"GET / HTTP/1.1\r\nHost: x\r\n", 0},
		{"GET / HTTP/1.1\nHost: x\n\nrest", 24},
		{"GET / HTTP/1.1\r\nHost: x\n\r\n", 26},
		{"GET / HTTP/1.1\r\nHost: x\r\n\r", 0},
		{"", 0},
	}
	for _, tc := range cases {
		if got := headEnd([]byte(tc.in)); got != tc.want {
			t.Errorf("headEnd(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestParseUpgradeHeadLeaves checks the heads that ServeListener leaves
// to net/http.
func TestParseUpgradeHeadLeaves(t *testing.T) {
	const rest = "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
	for name, head := range map[string]string{
		"POST":               "POST / HTTP/1.1\r\nHost: x\r\n" + rest,
		"HTTP/1.0":           "GET / HTTP/1.0\r\nHost: x\r\n" + rest,
		"HTTP/2.0":           "GET / HTTP/2.0\r\nHost: x\r\n" + rest,
		"absolute form":      "GET http://x/ HTTP/1.1\r\nHost: x\r\n" + rest,
		"asterisk form":      "GET * HTTP/1.1\r\nHost: x\r\n" + rest,
		"space in target":    "GET /a b HTTP/1.1\r\nHost: x\r\n" + rest,
		"no Upgrade":         "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"Upgrade h2c":        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n",
		"no Host":            "GET / HTTP/1.1\r\n" + rest,
		"two Hosts":          "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n" + rest,
		"bad Host":           "GET / HTTP/1.1\r\nHost: x/y\r\n" + rest,
		"folded line":        "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n" + rest,
		"bare LF":            "GET / HTTP/1.1\nHost: x\nUpgrade: websocket\n\n",
		"space before colon": "GET / HTTP/1.1\r\nHost : x\r\n" + rest,
		"no colon":           "GET / HTTP/1.1\r\nHost: x\r\nOops\r\n" + rest,
		"control in value":   "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n" + rest,
		"Content-Length":     "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" + rest,
		"Transfer-Encoding":  "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + rest,
		"Expect":             "GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" + rest,
	} {
		if r := new(http.Request); parseUpgradeHead([]byte(head), r) {
			t.Errorf("%s: read %+v, want it left to net/http", name, r)
		}
	}
	if !parseUpgradeHead([]byte("GET / HTTP/1.1\r\nHost: x\r\n"+rest), new(http.Request)) {
		t.Error("a plain handshake is left to net/http")
	}
}

// TestParseUpgradeHeadCopies checks that the request holds nothing of
// the head it was read from, whose buffer ServeListener reuses.
func TestParseUpgradeHeadCopies(t *testing.T) {
	heads := []string{
		dialHead,
		chromiumHead,
		"GET /a%20b/c?x=1 HTTP/1.1\r\nhost: [::1]:80\r\nupgrade: WebSocket\r\nconnection: Upgrade\r\nx-many: 1\r\nX-Many: 2\r\n" +
			"x-long-" + strings.Repeat("n", 80) + ": v\r\nPragma: no-cache\r\nX-Spaces:   padded value \t\r\nX-Empty:\r\n\r\n",
	}
	for _, head := range heads {
		buf := []byte(head)
		var r http.Request
		if !parseUpgradeHead(buf, &r) {
			t.Fatalf("%q not read", head)
		}
		want := fmt.Sprintf("%q %q %q %#v %q", r.RequestURI, r.Host, r.URL.String(), r.Header, r.URL.Path)
		for i := range buf {
			buf[i] = '#'
		}
		if got := fmt.Sprintf("%q %q %q %#v %q", r.RequestURI, r.Host, r.URL.String(), r.Header, r.URL.Path); got != want {
			t.Errorf("after the head buffer was overwritten:\n%s\nwant\n%s", got, want)
		}
	}
}

// TestHandshakeAllocations checks the allocations of reading a head (the
// text, the URL, the values, the header map) and of answering it (none).
func TestHandshakeAllocations(t *testing.T) {
	for _, tc := range []struct {
		head  string
		parse float64
	}{{dialHead, 5}, {chromiumHead, 7}} {
		head := []byte(tc.head)
		var r http.Request
		if n := testing.AllocsPerRun(100, func() { parseUpgradeHead(head, &r) }); n > tc.parse {
			t.Errorf("parseUpgradeHead: %v allocations, want %v", n, tc.parse)
		}
		buf := make([]byte, 0, 512)
		if n := testing.AllocsPerRun(100, func() {
			if checkRequest(&r) != nil || checkOrigin(&r, nil) != nil {
				t.Fatal("request refused")
			}
			appendResponse(buf, nil, r.Header["Sec-Websocket-Key"][0], "", "")
		}); n > 0 {
			t.Errorf("checking and answering: %v allocations, want 0", n)
		}
	}
}

// TestServeListenerContext checks the request's context against
// net/http's: its values, its cancellation when the handler returns, and
// that of the contexts derived from it, for a plain server and for one
// with a cancelable base context and a ConnContext.
func TestServeListenerContext(t *testing.T) {
	type connKey struct{}
	base, stop := context.WithCancel(context.Background())
	defer stop()
	for _, tc := range []struct {
		name      string
		configure func(*http.Server)
	}{
		{"plain", nil},
		{"hooks", func(srv *http.Server) {
			srv.BaseContext = func(net.Listener) context.Context { return base }
			srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
				return context.WithValue(ctx, connKey{}, c.RemoteAddr().String())
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				ctx, child  context.Context
				cancelChild context.CancelFunc
				ran         chan struct{}
				err         error
			}
			results := make(chan result, 1)
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx := r.Context()
				res := result{ctx: ctx, ran: make(chan struct{})}
				switch {
				case ctx.Err() != nil:
					res.err = fmt.Errorf("context done while the handler runs: %v", ctx.Err())
				case ctx.Value(http.ServerContextKey) == nil || ctx.Value(http.LocalAddrContextKey) == nil:
					res.err = fmt.Errorf("context lacks the server or the local address")
				case tc.configure != nil && ctx.Value(connKey{}) != r.RemoteAddr:
					res.err = fmt.Errorf("context lacks ConnContext's value")
				case tc.configure == nil && fmt.Sprintf("%T", ctx) != "*websocket.handlerContext":
					res.err = fmt.Errorf("context %T, want ServeListener's own", ctx)
				}
				res.child, res.cancelChild = context.WithCancel(ctx)
				context.AfterFunc(ctx, func() { close(res.ran) })
				stopped := context.AfterFunc(ctx, func() { panic("stopped function ran") })
				if !stopped() || stopped() {
					res.err = fmt.Errorf("AfterFunc's stop did not stop once")
				}
				if c, err := Accept(w, r, nil); err == nil {
					go func() { c.Read(context.Background()); c.CloseNow() }()
				}
				results <- res
			})}
			if tc.configure != nil {
				tc.configure(srv)
			}
			addr := serveListenerOn(t, srv)
			ctx, cancel := context.WithTimeout(context.Background(), listenWait)
			defer cancel()
			c, _, err := Dial(ctx, "ws://"+addr+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			res := <-results
			defer res.cancelChild()
			if res.err != nil {
				t.Fatal(res.err)
			}
			for _, ctx := range []context.Context{res.ctx, res.child} {
				select {
				case <-ctx.Done():
				case <-time.After(listenWait):
					t.Fatal("context not canceled after the handler returned")
				}
				if ctx.Err() != context.Canceled || context.Cause(ctx) != context.Canceled {
					t.Fatalf("Err %v, Cause %v; want context.Canceled", ctx.Err(), context.Cause(ctx))
				}
			}
			select {
			case <-res.ran:
			case <-time.After(listenWait):
				t.Fatal("AfterFunc's function did not run")
			}
			ran := make(chan struct{})
			context.AfterFunc(res.ctx, func() { close(ran) })
			select {
			case <-ran:
			case <-time.After(listenWait):
				t.Fatal("AfterFunc on a canceled context did not run")
			}
		})
	}
}

// TestOriginHost checks originHost against url.Parse.
func TestOriginHost(t *testing.T) {
	for _, origin := range []string{
		"http://example.com", "https://a.example.com:8443", "HTTP://Example.COM:80", "http://x:", "http://:80",
		"http://[::1]:80", "http://user@host", "http://host/path", "http://host?q", "http://host#f", "null", "",
		"file://", "http://a:b:c", "http://h%41st", "1http://host", "ws+x://host", "http://host:80:90", "://host",
	} {
		testOriginHost(t, origin)
	}
}

func testOriginHost(t *testing.T, origin string) {
	host, ok := originHost(origin)
	u, err := url.Parse(origin)
	wantOK := err == nil && u.Host != ""
	if ok != wantOK || ok && host != u.Host {
		t.Errorf("originHost(%q) = %q, %v; url.Parse finds %v, %v", origin, host, ok, u, err)
	}
}
