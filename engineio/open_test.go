package engineio

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestOpenPacket(t *testing.T) {
	for _, tc := range []struct {
		opts      *Options
		transport string
		upgrades  []any
	}{
		{nil, transportPolling, []any{"websocket"}},
		{nil, transportWebSocket, []any{}},
		{&Options{DisableUpgrades: true}, transportPolling, []any{}},
	} {
		srv := NewServer(tc.opts)
		p := srv.openPacket("AbC-_12", tc.transport)
		if p.data[0] != byte(packetOpen) {
			t.Fatalf("packet type %q", p.data[0])
		}
		var got map[string]any
		if err := json.Unmarshal(p.data[1:], &got); err != nil {
			t.Fatalf("%s: %v", p.data, err)
		}
		want := map[string]any{"sid": "AbC-_12", "upgrades": tc.upgrades, "pingInterval": 25000.0, "pingTimeout": 20000.0, "maxPayload": 1e6}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("open packet %s, want %v", p.data, want)
		}
	}
}
