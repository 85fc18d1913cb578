package engineio_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/websocket"
)

func TestHandshakePolling(t *testing.T) {
	ts := newServer(t, nil, false)
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	if res.status != http.StatusOK {
		t.Fatalf("status %d %s", res.status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if res.header.Get("Set-Cookie") != "" {
		t.Errorf("a cookie was set without Options.Cookie: %q", res.header.Get("Set-Cookie"))
	}
	hs := parseOpen(t, res.body)
	want := handshakeData{SID: hs.SID, Upgrades: []string{"websocket"}, PingInterval: 25000, PingTimeout: 20000, MaxPayload: 1000000}
	if !slices.Equal(hs.Upgrades, want.Upgrades) || hs.PingInterval != want.PingInterval || hs.PingTimeout != want.PingTimeout || hs.MaxPayload != want.MaxPayload {
		t.Errorf("handshake %+v, want %+v", hs, want)
	}
	if b, err := base64.RawURLEncoding.DecodeString(hs.SID); err != nil || len(b) != 15 {
		t.Errorf("sid %q is not 20 characters of base64url", hs.SID)
	}
	p := ts.nextPeer(t)
	if p.s.ID() != hs.SID || p.s.Transport() != "polling" || ts.srv.Len() != 1 {
		t.Errorf("session %q on %q, %d open; want %q on polling, 1 open", p.s.ID(), p.s.Transport(), ts.srv.Len(), hs.SID)
	}
}

func TestHandshakeOptions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     engineio.Options
		upgrades []string
	}{
		{"timings", engineio.Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond, MaxHTTPBufferSize: 1234}, []string{"websocket"}},
		{"upgrades disabled", engineio.Options{DisableUpgrades: true}, []string{}},
		{"polling only", engineio.Options{Transports: []string{"polling"}}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newServer(t, &tc.opts, false)
			res := ts.do(t, "GET", "EIO=4&transport=polling", "")
			if !strings.Contains(res.body, `"upgrades":[`) {
				t.Errorf("upgrades is not a JSON array in %s", res.body)
			}
			hs := parseOpen(t, res.body)
			wantInterval, wantTimeout, wantMax := 25000, 20000, 1000000
			if tc.opts.PingInterval > 0 {
				wantInterval, wantTimeout, wantMax = 300, 200, 1234
			}
			if !slices.Equal(hs.Upgrades, tc.upgrades) || hs.PingInterval != wantInterval || hs.PingTimeout != wantTimeout || hs.MaxPayload != wantMax {
				t.Errorf("handshake %+v, want upgrades %v, %d, %d, %d", hs, tc.upgrades, wantInterval, wantTimeout, wantMax)
			}
			ts.nextPeer(t)
		})
	}
}

// TestHandshakeErrors checks the reference server's answers to bad
// requests.
func TestHandshakeErrors(t *testing.T) {
	ts := newServer(t, &engineio.Options{Transports: []string{"polling"}}, false)
	for _, tc := range []struct {
		method, query string
		status, code  int
		message       string
	}{
		{"GET", "transport=polling", 400, 5, "Unsupported protocol version"},
		{"GET", "EIO=3&transport=polling", 400, 5, "Unsupported protocol version"},
		{"GET", "EIO=abc&transport=polling", 400, 5, "Unsupported protocol version"},
		{"GET", "EIO=4", 400, 0, "Transport unknown"},
		{"GET", "EIO=4&transport=abc", 400, 0, "Transport unknown"},
		{"GET", "EIO=4&transport=websocket", 400, 0, "Transport unknown"}, // not in Options.Transports
		{"POST", "EIO=4&transport=polling", 400, 2, "Bad handshake method"},
		{"PUT", "EIO=4&transport=polling", 400, 2, "Bad handshake method"},
		{"GET", "EIO=4&transport=polling&sid=unknown", 400, 1, "Session ID unknown"},
		{"POST", "EIO=4&transport=polling&sid=unknown", 400, 1, "Session ID unknown"},
	} {
		res := ts.do(t, tc.method, tc.query, "")
		t.Run(tc.method+" "+tc.query, func(t *testing.T) { wantError(t, res, tc.status, tc.code, tc.message) })
	}
	if n := ts.srv.Len(); n != 0 {
		t.Errorf("%d sessions opened by bad requests", n)
	}
}

func TestHandshakeWebSocketWithoutUpgrade(t *testing.T) {
	ts := newServer(t, nil, false)
	wantError(t, ts.do(t, "GET", "EIO=4&transport=websocket", ""), 400, 3, "Bad request")
}

func TestAllowRequest(t *testing.T) {
	var seen *http.Request
	ts := newServer(t, &engineio.Options{AllowRequest: func(r *http.Request) error {
		seen = r
		if r.URL.Query().Get("token") != "good" {
			return errors.New("bad token")
		}
		return nil
	}}, false)
	wantError(t, ts.do(t, "GET", "EIO=4&transport=polling&token=bad", ""), 403, 4, "bad token")
	if status := ts.dialError(t, "EIO=4&transport=websocket&token=bad", nil); status != 403 {
		t.Errorf("WebSocket handshake with a bad token: %d, want 403", status)
	}
	if seen == nil {
		t.Fatal("AllowRequest was not called")
	}
	res := ts.do(t, "GET", "EIO=4&transport=polling&token=good", "")
	if res.status != 200 {
		t.Fatalf("handshake with a good token: %d %s", res.status, res.body)
	}
	sid := parseOpen(t, res.body).SID
	ts.nextPeer(t)
	// Upgrades are asked too.
	if status := ts.dialError(t, "EIO=4&transport=websocket&token=bad&sid="+sid, nil); status != 403 {
		t.Errorf("upgrade with a bad token: %d, want 403", status)
	}
	// Other requests of the session are not.
	if res := ts.push(t, sid, "4hi"); res.status != 200 {
		t.Errorf("POST: %d %s", res.status, res.body)
	}
}

func TestCookie(t *testing.T) {
	ts := newServer(t, &engineio.Options{Cookie: &http.Cookie{HttpOnly: true, SameSite: http.SameSiteLaxMode}}, false)
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	sid := parseOpen(t, res.body).SID
	ts.nextPeer(t)
	want := "io=" + sid + "; Path=/; HttpOnly; SameSite=Lax"
	if got := res.header.Get("Set-Cookie"); got != want {
		t.Errorf("Set-Cookie %q, want %q", got, want)
	}
	if got := ts.push(t, sid, "4x"); got.header.Get("Set-Cookie") != "" {
		t.Errorf("a later request set a cookie: %q", got.header.Get("Set-Cookie"))
	}
	// The WebSocket handshake sets it too.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, wsres, err := websocket.Dial(ctx, ts.wsURL("EIO=4&transport=websocket"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	p := ts.nextPeer(t)
	if got, want := wsres.Header.Get("Set-Cookie"), "io="+p.s.ID()+"; Path=/; HttpOnly; SameSite=Lax"; got != want {
		t.Errorf("Set-Cookie %q on the WebSocket handshake, want %q", got, want)
	}
}

func TestSessionRequest(t *testing.T) {
	ts := newServer(t, nil, false)
	req, _ := http.NewRequest("GET", ts.url+"?EIO=4&transport=polling&foo=bar", nil)
	req.Header.Set("X-Test", "yes")
	ts.send(t, req)
	r := ts.nextPeer(t).s.Request()
	if r.Method != "GET" || r.URL.Query().Get("foo") != "bar" || r.Header.Get("X-Test") != "yes" || r.RemoteAddr == "" {
		t.Errorf("Request: %s %s %v %q", r.Method, r.URL, r.Header, r.RemoteAddr)
	}
	if r.Host != req.URL.Host || r.RequestURI != req.URL.RequestURI() || r.ProtoMajor != 1 || r.ProtoMinor != 1 || r.TLS != nil || r.Body != http.NoBody {
		t.Errorf("Request: Host %q, RequestURI %q, %s (%d.%d), TLS %v, body %v", r.Host, r.RequestURI, r.Proto, r.ProtoMajor, r.ProtoMinor, r.TLS, r.Body)
	}
	if err := r.Context().Err(); err != nil {
		t.Errorf("the request's context ended with the request: %v", err)
	}
}
