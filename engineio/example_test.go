package engineio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/duplexrt/duplex/engineio"
)

// An echo server, and a client speaking HTTP long-polling to it by hand:
// the handshake, a POST with two messages, and a GET that brings them
// back.
func ExampleServer() {
	srv := engineio.NewServer(&engineio.Options{
		OnSession: func(s *engineio.Session) {
			s.OnMessage(func(data []byte, binary bool) {
				s.Send(data, binary)
			})
		},
	})
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", srv)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	get := func(url string) string {
		res, err := http.Get(url)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	endpoint := ts.URL + "/engine.io/?EIO=4&transport=polling"

	// The handshake: the open packet, '0' and JSON.
	var hs struct {
		SID      string   `json:"sid"`
		Upgrades []string `json:"upgrades"`
	}
	open := get(endpoint)
	json.Unmarshal([]byte(open[1:]), &hs)
	fmt.Println("upgrades:", hs.Upgrades)

	// A text message and a binary one (base64), joined by 0x1e.
	res, err := http.Post(endpoint+"&sid="+hs.SID, "text/plain;charset=UTF-8", strings.NewReader("4hello\x1ebAQIDBA=="))
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()

	fmt.Printf("%q\n", get(endpoint+"&sid="+hs.SID))
	// Output:
	// upgrades: [websocket]
	// "4hello\x1ebAQIDBA=="
}
