package engineio

import (
	"net/http"
	"reflect"
	"testing"
)

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
