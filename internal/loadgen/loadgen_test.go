package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPayloadRoundTrip(t *testing.T) {
	for _, size := range []int{HeaderSize, 64, 1000, 70000} {
		f := filler(size)
		tmpl := newFrameTemplate(opBinary, size, [4]byte{1, 2, 3, 4})
		frame := tmpl.appendMessage(nil, header{kind: kindEcho, stream: 7, seq: 1 << 40, sent: 123456789})
		payload := frame[tmpl.payloadOff:]
		mask(payload, tmpl.key, 0)
		h, v := parsePayload(payload)
		if v != payloadOK || h.stream != 7 || h.seq != 1<<40 || h.sent != 123456789 || h.kind != kindEcho {
			t.Fatalf("size %d: parsed %+v, %v", size, h, v)
		}
		if !bytes.Equal(payload[HeaderSize:], f) {
			t.Fatalf("size %d: filler changed", size)
		}
		for _, i := range []int{1, 5, 33, size - 1} {
			bad := bytes.Clone(payload)
			bad[i] ^= 0x01
			if _, v := parsePayload(bad); v == payloadOK {
				t.Errorf("size %d: flipping byte %d went unnoticed", size, i)
			}
		}
	}
	if _, v := parsePayload([]byte("Welcome to the chat room, and to its many rooms.")); v != payloadForeign {
		t.Errorf("a foreign message parsed as %v", v)
	}
}

func TestParseFrame(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		f := serverFrame(opBinary, make([]byte, n))
		for cut := 0; cut < len(f); cut += max(1, len(f)/7) {
			if _, err := parseFrame(f[:cut]); err != errShortFrame {
				t.Fatalf("%d-byte frame cut at %d: %v", n, cut, err)
			}
		}
		got, err := parseFrame(f)
		if err != nil || got.payload != n || !got.fin || got.op != opBinary || got.hdrLen+n != len(f) {
			t.Fatalf("%d-byte frame: %+v, %v", n, got, err)
		}
	}
	for name, f := range map[string][]byte{
		"masked":          {0x82, 0x80, 1, 2, 3, 4},
		"reserved bits":   {0xc2, 0x00},
		"unknown opcode":  {0x83, 0x00},
		"fragmented ping": {0x09, 0x00},
		"long ping":       {0x89, 126, 0, 126},
	} {
		var pe protocolError
		if _, err := parseFrame(f); !errors.As(err, &pe) {
			t.Errorf("%s: %v, want a protocol error", name, err)
		}
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := int64(1); i <= 100000; i++ {
		h.record(i * 1000) // 1 µs to 100 ms, uniform
	}
	l := summarize([]*histogram{&h})
	check := func(name string, got time.Duration, want float64) {
		if g := float64(got); g < want*0.96 || g > want*1.04 {
			t.Errorf("%s = %v, want about %v", name, got, time.Duration(want))
		}
	}
	check("p50", l.P50, 50e6)
	check("p90", l.P90, 90e6)
	check("p99", l.P99, 99e6)
	check("p99.9", l.P999, 99.9e6)
	if l.Max != 100*time.Millisecond || l.Count != 100000 {
		t.Errorf("max %v, count %d", l.Max, l.Count)
	}
	for v := int64(0); v < 1<<41; v = v*3/2 + 1 {
		i := histIndex(v)
		if i < 0 || i >= histSize {
			t.Fatalf("index %d for %d", i, v)
		}
		if mid := histValue(i); v < 1<<40 && (float64(mid) < float64(v)*0.96 || float64(mid) > float64(v)*1.04+1) {
			t.Fatalf("value %d in a bucket around %d", v, mid)
		}
	}
}

func TestRefusesOtherThanLoopback(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"ws://192.0.2.1:9/", "ws://[2001:db8::1]:9/", "ws://10.1.2.3/"} {
		_, err := Run(ctx, Config{URL: u, LoopbackOnly: true, Duration: time.Second})
		if !errors.Is(err, errNotLoopback) {
			t.Errorf("%s: %v, want a refusal", u, err)
		}
	}
	for _, u := range []string{"ws://127.0.0.1:1/", "ws://127.9.9.9:1/", "ws://[::1]:1/", "ws://localhost:1/"} {
		if err := IsLoopbackURL(ctx, u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := Run(ctx, Config{URL: "wss://127.0.0.1/"}); err == nil {
		t.Error("wss:// accepted")
	}
}

func runTest(t *testing.T, cfg Config) *Report {
	t.Helper()
	cfg.LoopbackOnly = true
	if cfg.Duration == 0 {
		cfg.Duration = 300 * time.Millisecond
	}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestEcho(t *testing.T) {
	url := startTestServer(t, &testServer{})
	for _, size := range []int{64, 16 << 10, 100 << 10} {
		rep := runTest(t, Config{URL: url, Conns: 4, InFlight: 8, Size: size, Binary: size > 64, Warmup: 50 * time.Millisecond})
		if rep.Errors != 0 || rep.Opened != 4 {
			t.Fatalf("size %d: %d errors (%v), %d opened", size, rep.Errors, rep.ErrorSamples, rep.Opened)
		}
		if rep.Received == 0 || rep.Throughput <= 0 || rep.Sent < rep.Received-4*8 || rep.PerConn.Min == 0 || rep.PerConn.Max < rep.PerConn.Min {
			t.Fatalf("size %d: %+v", size, rep)
		}
		l := rep.Latency
		if l.Count != rep.Received || l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max {
			t.Fatalf("size %d: latency %+v", size, l)
		}
	}
}

func TestEchoMessageBudgetAndRate(t *testing.T) {
	url := startTestServer(t, &testServer{})
	rep := runTest(t, Config{URL: url, Conns: 3, InFlight: 4, Messages: 1000, Duration: 10 * time.Second})
	if rep.Errors != 0 || rep.Sent != 1000 || rep.Received != 1000 || rep.Duration >= 10*time.Second {
		t.Fatalf("budget of 1000: %+v", rep)
	}
	rep = runTest(t, Config{URL: url, Conns: 2, InFlight: 4, Rate: 400, Duration: 500 * time.Millisecond})
	if rep.Errors != 0 || rep.Sent < 150 || rep.Sent > 250 {
		t.Fatalf("400/s for 0.5 s sent %d (errors %v)", rep.Sent, rep.ErrorSamples)
	}
}

func TestEchoDetectsFaults(t *testing.T) {
	for name, tc := range map[string]struct {
		alter func(i int, p []byte) [][]byte
		kind  string
	}{
		"loss": {func(i int, p []byte) [][]byte {
			if i == 10 {
				return nil
			}
			return [][]byte{p}
		}, errLost},
		"corruption": {func(i int, p []byte) [][]byte {
			if i == 10 {
				p[HeaderSize+3] ^= 0x20
			}
			return [][]byte{p}
		}, errCorrupt},
		"duplicate": {func(i int, p []byte) [][]byte {
			if i == 10 {
				return [][]byte{p, p}
			}
			return [][]byte{p}
		}, errOrder},
		"foreign": {func(i int, p []byte) [][]byte {
			if i == 10 {
				return [][]byte{p, []byte("hello")}
			}
			return [][]byte{p}
		}, errOther},
	} {
		t.Run(name, func(t *testing.T) {
			url := startTestServer(t, &testServer{alter: tc.alter})
			rep := runTest(t, Config{URL: url, Conns: 1, InFlight: 4, Duration: 200 * time.Millisecond, DrainTimeout: 200 * time.Millisecond})
			if rep.ErrorKinds[tc.kind] == 0 {
				t.Fatalf("no %s error: %+v", tc.kind, rep)
			}
		})
	}
}

func TestBroadcast(t *testing.T) {
	url := startTestServer(t, &testServer{broadcast: true})
	rep := runTest(t, Config{URL: url, Mode: ModeBroadcast, Conns: 6, Publishers: 2, InFlight: 4, Size: 100, Binary: true})
	if rep.Errors != 0 || rep.Opened != 6 {
		t.Fatalf("%d errors (%v)", rep.Errors, rep.ErrorSamples)
	}
	if rep.Sent == 0 || rep.Received == 0 || rep.PerConn.Min == 0 || rep.Latency.Count != rep.Received {
		t.Fatalf("%+v", rep)
	}
	// Every subscriber receives every message; the measurement window
	// cuts a few in flight at either end.
	if d := rep.Received - 6*rep.Sent; d > 6*2*4 || d < -6*2*4 {
		t.Fatalf("%d published, %d delivered to 6 subscribers", rep.Sent, rep.Received)
	}
}

func TestBroadcastWithGreeting(t *testing.T) {
	url := startTestServer(t, &testServer{broadcast: true, greeting: []byte("Welcome")})
	rep := runTest(t, Config{URL: url, Mode: ModeBroadcast, Conns: 3, InFlight: 2, AllowOther: true, Duration: 200 * time.Millisecond})
	if rep.Errors != 0 || rep.Other != 3 || rep.Received == 0 {
		t.Fatalf("%+v", rep)
	}
	rep = runTest(t, Config{URL: url, Mode: ModeBroadcast, Conns: 3, InFlight: 2, Duration: 200 * time.Millisecond})
	if rep.ErrorKinds[errOther] != 3 {
		t.Fatalf("greetings not counted as errors: %+v", rep)
	}
}

func TestIdle(t *testing.T) {
	url := startTestServer(t, &testServer{})
	release := make(chan struct{})
	var opened int
	start := time.Now()
	rep := runTest(t, Config{URL: url, Mode: ModeIdle, Conns: 50, Duration: 10 * time.Second, Release: release,
		Opened: func(n int) { opened = n; close(release) }})
	if opened != 50 || rep.Opened != 50 || rep.Errors != 0 || time.Since(start) > 5*time.Second {
		t.Fatalf("opened %d, %+v, took %v", opened, rep, time.Since(start))
	}
	var buf bytes.Buffer
	rep.WriteText(&buf)
	if !strings.Contains(buf.String(), "50 of 50 connections") {
		t.Fatalf("report:\n%s", buf.String())
	}
}

func TestConnectFailures(t *testing.T) {
	url := startTestServer(t, &testServer{})
	// A port nobody listens on: take one and close it.
	s := &testServer{}
	dead := startTestServer(t, s)
	s.ln.Close()
	if _, err := Run(context.Background(), Config{URL: dead, Conns: 3, Duration: 100 * time.Millisecond}); !errors.Is(err, ErrNoConnections) {
		t.Fatalf("dead port: %v", err)
	}
	_ = url
}

func TestReportJSON(t *testing.T) {
	url := startTestServer(t, &testServer{})
	rep := runTest(t, Config{URL: url, Conns: 2, InFlight: 2, Duration: 100 * time.Millisecond})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"throughput", "latency", "per_conn", "errors", "sent", "received"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	lat := m["latency"].(map[string]any)
	for _, k := range []string{"p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latency lacks %q", k)
		}
	}
}

// TestAcceptKey checks the handshake against the example of RFC 6455,
// section 1.3.
func TestAcceptKey(t *testing.T) {
	head := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
	if err := checkResponse([]byte(head), "dGhlIHNhbXBsZSBub25jZQ=="); err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]string{
		"status":     strings.Replace(head, "101 Switching Protocols", "200 OK", 1),
		"accept":     strings.Replace(head, "s3pP", "s3pQ", 1),
		"extensions": head + "\r\nSec-WebSocket-Extensions: permessage-deflate",
		"protocol":   head + "\r\nSec-WebSocket-Protocol: chat",
		"upgrade":    strings.Replace(head, "Upgrade: websocket", "Upgrade: h2c", 1),
	} {
		if err := checkResponse([]byte(h), "dGhlIHNhbXBsZSBub25jZQ=="); err == nil {
			t.Errorf("bad %s accepted", name)
		}
	}
}
