package interop_test

// TestSocketIOChromium runs npm's socket.io-client in headless Chromium
// against package socketio: the Go server serves testdata/
// socketio_chromium.html and the client's browser bundle
// (node_modules/socket.io-client/dist/socket.io.min.js), and the page
// connects, exchanges events with acknowledgements both ways and binary,
// and disconnects, forced to polling, then forced to WebSocket.

import (
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/duplexrt/duplex/socketio"
)

// socketIOBundle is the browser build of socket.io-client, as npm
// installs it.
const socketIOBundle = "node_modules/socket.io-client/dist/socket.io.min.js"

// The page's findings (testdata/socketio_chromium.html).
type (
	sioChromiumResult struct {
		UserAgent      string            `json:"userAgent"`
		BrowserVersion string            `json:"browserVersion"`
		ClientLoaded   bool              `json:"clientLoaded"`
		Exception      string            `json:"exception"`
		Cases          []sioChromiumCase `json:"cases"`
	}
	sioChromiumCase struct {
		Name           string          `json:"name"`
		ID             string          `json:"id"`
		Transport      string          `json:"transport"`
		FinalTransport string          `json:"finalTransport"`
		Welcome        json.RawMessage `json:"welcome"`
		Double         json.RawMessage `json:"double"`
		Echo           struct {
			Label string `json:"label"`
			Data  struct {
				Type  string `json:"type"`
				Bytes []int  `json:"bytes"`
			} `json:"data"`
		} `json:"echo"`
		Asked      string `json:"asked"`
		Disconnect string `json:"disconnect"`
		Error      string `json:"error"`
	}
)

func TestSocketIOChromium(t *testing.T) {
	node := chromiumRequire(t)
	bundle, err := os.ReadFile(socketIOBundle)
	if err != nil {
		chromiumMissing(t, "socket.io-client's browser bundle: %v", err)
	}
	page, err := os.ReadFile("testdata/socketio_chromium.html")
	if err != nil {
		t.Fatal(err)
	}
	mark := markGoroutines()
	var bundleServed atomic.Int32
	srv := startSIOServer(t, "127.0.0.1:0", nil, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Write(page)
		})
		mux.HandleFunc("GET /socket.io.min.js", func(w http.ResponseWriter, r *http.Request) {
			bundleServed.Add(1)
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Write(bundle)
		})
	})

	report := chromiumRunPage[sioChromiumResult](t, node, srv.url+"/", "")
	for _, line := range report.Console {
		t.Logf("page console: %s", line)
	}
	res := report.Result
	t.Logf("browser %s; %s", res.BrowserVersion, res.UserAgent)
	if bundleServed.Load() == 0 {
		t.Errorf("the page did not load %s from the server", socketIOBundle)
	}
	if !res.ClientLoaded {
		t.Fatal("the page has no io(): the socket.io-client bundle did not load")
	}
	if res.Exception != "" {
		t.Fatalf("page script failed: %s", res.Exception)
	}
	want := []string{"polling", "websocket"}
	if len(res.Cases) != len(want) {
		t.Fatalf("page ran %d cases, want %d: %+v", len(res.Cases), len(want), res.Cases)
	}
	for i, name := range want {
		c := res.Cases[i]
		t.Run(name, func(t *testing.T) {
			if c.Name != name {
				t.Fatalf("case %d is %q", i, c.Name)
			}
			if c.Error != "" {
				t.Fatalf("page: %s", c.Error)
			}
			if c.Transport != name || c.FinalTransport != name {
				t.Errorf("page: transport %q, then %q; want %q", c.Transport, c.FinalTransport, name)
			}
			ss := srv.socket(t, c.ID)
			if got := ss.s.Conn().Transport(); got != name {
				t.Errorf("server: session on %q, want %q", got, name)
			}
			if want := `{"auth":{"from":"chromium"},"nsp":"/"}`; !jsonEqual(c.Welcome, []byte(want)) {
				t.Errorf("page: welcome %s, want %s", c.Welcome, want)
			}
			if string(c.Double) != "42" {
				t.Errorf("page: double acknowledged with %s, want 42", c.Double)
			}
			if c.Echo.Label != "bytes" || c.Echo.Data.Type != "ArrayBuffer" || !slices.Equal(c.Echo.Data.Bytes, []int{0, 1, 2, 0x1e, 0xff}) {
				t.Errorf("page: echo %+v, want label \"bytes\" and an ArrayBuffer [0 1 2 30 255]", c.Echo)
			}
			if want := "answer to 6*7? over " + name; c.Asked != want {
				t.Errorf("page: the server's question came back as %q, want %q", c.Asked, want)
			}
			if c.Disconnect != "io client disconnect" {
				t.Errorf("page: disconnect %q, want \"io client disconnect\"", c.Disconnect)
			}
			if r := ss.waitDisconnect(t); r != socketio.ReasonClientNamespaceDisconnect {
				t.Errorf("server: disconnect %q, want %q", r, socketio.ReasonClientNamespaceDisconnect)
			}
		})
	}
	srv.waitNoSessions(t)
	srv.stop(t)
	checkNoGoroutinesLeft(t, "browser gone, server shut down", mark)
}
