package engineio_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/duplexrt/duplex/engineio"
)

// corsRequest sends a polling handshake, or a preflight for one, from a
// page of origin.
func corsRequest(t *testing.T, ts *testServer, method, origin string, header ...string) response {
	t.Helper()
	req, _ := http.NewRequest(method, ts.url+"?EIO=4&transport=polling", nil)
	req.Header.Set("Origin", origin)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res := ts.send(t, req)
	if method == "GET" && res.status == 200 {
		ts.nextPeer(t)
	}
	return res
}

func TestCORSOff(t *testing.T) {
	ts := newServer(t, nil, false)
	res := corsRequest(t, ts, "GET", "https://app.example")
	for k := range res.header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("header %s: %q without CORS", k, res.header.Get(k))
		}
	}
	// Without CORS, OPTIONS is just another bad handshake method.
	wantError(t, corsRequest(t, ts, "OPTIONS", "https://app.example"), 400, 2, "Bad handshake method")
}

func TestCORS(t *testing.T) {
	type want struct{ origin, credentials string }
	for _, tc := range []struct {
		name  string
		cors  engineio.CORS
		cases map[string]want // by request origin
	}{
		{"any", engineio.CORS{Origins: []string{"*"}}, map[string]want{
			"https://app.example": {"*", ""},
		}},
		{"any with credentials", engineio.CORS{Origins: []string{"*"}, Credentials: true}, map[string]want{
			"https://app.example": {"https://app.example", "true"},
		}},
		{"list", engineio.CORS{Origins: []string{"https://app.example", "http://other.example:8080"}, Credentials: true}, map[string]want{
			"https://app.example":       {"https://app.example", "true"},
			"http://other.example:8080": {"http://other.example:8080", "true"},
			"https://evil.example":      {"", ""},
		}},
		{"func", engineio.CORS{AllowOriginFunc: func(o string) bool { return o == "https://app.example" }}, map[string]want{
			"https://app.example":  {"https://app.example", ""},
			"https://evil.example": {"", ""},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newServer(t, &engineio.Options{CORS: &tc.cors}, false)
			for origin, w := range tc.cases {
				for _, method := range []string{"GET", "OPTIONS"} {
					res := corsRequest(t, ts, method, origin, "Access-Control-Request-Headers", "x-token")
					if got := res.header.Get("Access-Control-Allow-Origin"); got != w.origin {
						t.Errorf("%s from %s: Allow-Origin %q, want %q", method, origin, got, w.origin)
					}
					if got := res.header.Get("Access-Control-Allow-Credentials"); got != w.credentials {
						t.Errorf("%s from %s: Allow-Credentials %q, want %q", method, origin, got, w.credentials)
					}
					if !strings.Contains(strings.Join(res.header.Values("Vary"), ","), "Origin") {
						t.Errorf("%s from %s: no Vary: Origin", method, origin)
					}
					if method != "OPTIONS" {
						continue
					}
					if res.status != http.StatusNoContent {
						t.Errorf("preflight from %s: %d", origin, res.status)
					}
					methods, headers := "GET,POST", "x-token"
					if w.origin == "" {
						methods, headers = "", ""
					}
					if got := res.header.Get("Access-Control-Allow-Methods"); got != methods {
						t.Errorf("preflight from %s: Allow-Methods %q, want %q", origin, got, methods)
					}
					if got := res.header.Get("Access-Control-Allow-Headers"); got != headers {
						t.Errorf("preflight from %s: Allow-Headers %q, want %q", origin, got, headers)
					}
				}
			}
		})
	}
}

func TestCORSConfiguredMethodsAndHeaders(t *testing.T) {
	ts := newServer(t, &engineio.Options{CORS: &engineio.CORS{
		Origins: []string{"*"},
		Methods: []string{"GET", "POST", "OPTIONS"},
		Headers: []string{"Authorization", "Content-Type"},
	}}, false)
	res := corsRequest(t, ts, "OPTIONS", "https://app.example", "Access-Control-Request-Headers", "x-other")
	if got := res.header.Get("Access-Control-Allow-Methods"); got != "GET,POST,OPTIONS" {
		t.Errorf("Allow-Methods %q", got)
	}
	if got := res.header.Get("Access-Control-Allow-Headers"); got != "Authorization,Content-Type" {
		t.Errorf("Allow-Headers %q", got)
	}
	// Error responses carry the headers too, so that the page can read
	// them.
	req, _ := http.NewRequest("GET", ts.url+"?EIO=4&transport=polling&sid=nope", nil)
	req.Header.Set("Origin", "https://app.example")
	res = ts.send(t, req)
	if res.status != 400 || res.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("error response: %d, Allow-Origin %q", res.status, res.header.Get("Access-Control-Allow-Origin"))
	}
}
