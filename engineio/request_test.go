package engineio

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// packHeader returns hdr as packHeaderTo writes it.
func packHeader(hdr http.Header) string {
	var b strings.Builder
	packHeaderTo(&b, hdr)
	return b.String()
}

func TestPackHeaderRoundTrip(t *testing.T) {
	for _, hdr := range []http.Header{
		{},
		{"Upgrade": {"websocket"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}},
		{"Cookie": {"a=1", "b=2"}, "X-Empty": {""}, "X-Colon": {"a: b: c"}, "nonCanonical": {"kept"}},
	} {
		got := unpackHeader(packHeader(hdr))
		if !reflect.DeepEqual(got, hdr) {
			t.Errorf("round trip of %v gave %v", hdr, got)
		}
	}
	if got, want := packHeader(http.Header{"B": {"2"}, "A": {"1", "3"}}), "A: 1\nA: 3\nB: 2\n"; got != want {
		t.Errorf("packHeader = %q, want %q", got, want)
	}
}

func TestKeepRequest(t *testing.T) {
	r, err := http.NewRequest("GET", "http://example.com:8080/engine.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.RequestURI = "/engine.io/?EIO=4&transport=websocket"
	r.RemoteAddr = "192.0.2.7:51234"
	r.Header = http.Header{"Cookie": {"a=1", "b=2"}, "Origin": {"http://example.com:8080"}}
	hs := keepRequest(r)
	got := hs.request()
	if got.Method != "GET" || got.RequestURI != r.RequestURI || got.Proto != "HTTP/1.1" || got.ProtoMajor != 1 ||
		got.ProtoMinor != 1 || got.Host != "example.com:8080" || got.RemoteAddr != r.RemoteAddr ||
		got.URL.Path != "/engine.io/" || got.URL.RawQuery != "EIO=4&transport=websocket" || !reflect.DeepEqual(got.Header, r.Header) {
		t.Fatalf("kept request %+v", got)
	}
}
