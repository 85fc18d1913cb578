package websocket

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Request heads that ServeListener reads: the one Dial sends and the one
// Chromium sends, both to a Socket.IO server.
const (
	dialHead = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost:3000\r\nUpgrade: websocket\r\n" +
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	chromiumHead = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost:3000\r\nConnection: Upgrade\r\n" +
		"Pragma: no-cache\r\nCache-Control: no-cache\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36\r\n" +
		"Upgrade: websocket\r\nOrigin: http://localhost:3000\r\nSec-WebSocket-Version: 13\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
)

var benchHeads = []struct{ name, head string }{{"dial", dialHead}, {"chromium", chromiumHead}}

// BenchmarkParseUpgradeHead measures the reading of a request head into
// the request the handler gets. The request itself stays on the stack,
// as in ServeListener, which copies it once into the one with a context.
func BenchmarkParseUpgradeHead(b *testing.B) {
	for _, h := range benchHeads {
		b.Run(h.name, func(b *testing.B) {
			head := []byte(h.head)
			b.ReportAllocs()
			b.SetBytes(int64(len(head)))
			for b.Loop() {
				var r http.Request
				if !parseUpgradeHead(head, &r) {
					b.Fatal("head not read")
				}
			}
		})
	}
}

// BenchmarkUpgradeResponse measures what Accept does between the request
// and the Conn: the checks of the request and the 101 response, written
// to a connection that drops it.
func BenchmarkUpgradeResponse(b *testing.B) {
	for _, h := range benchHeads {
		b.Run(h.name, func(b *testing.B) {
			var r http.Request
			if !parseUpgradeHead([]byte(h.head), &r) {
				b.Fatal("head not read")
			}
			nc := &discardConn{closed: make(chan struct{})}
			opts := &AcceptOptions{}
			b.ReportAllocs()
			for b.Loop() {
				if herr := checkRequest(&r); herr != nil {
					b.Fatal(herr)
				}
				if herr := checkOrigin(&r, opts.OriginPatterns); herr != nil {
					b.Fatal(herr)
				}
				offered := headerTokens(r.Header, "Sec-Websocket-Protocol")
				buf := writeBufPool.Get().(*buffer)
				nc.Write(appendResponse(buf.b[:0], nil, r.Header["Sec-Websocket-Key"][0], chooseSubprotocol(&r, opts, offered), ""))
				writeBufPool.Put(buf)
			}
		})
	}
}

// handshakeClientEnv, when set in the environment, makes the test binary
// a handshake client for BenchmarkServeListenerHandshake: see
// TestHandshakeClientProcess.
const handshakeClientEnv = "WEBSOCKET_HANDSHAKE_CLIENT"

// BenchmarkServeListenerHandshake measures whole handshakes served by
// ServeListener over loopback: accept, peek, read, handler, Accept, 101
// response, and the close of the Conn, for a server with a
// ReadHeaderTimeout. The client is another process, so
// that the allocations counted are the server's alone. They include the
// ones that stay: the net.Conn and the Conn.
func BenchmarkServeListenerHandshake(b *testing.B) {
	if testing.Short() {
		b.Skip("starts a client process")
	}
	for _, h := range benchHeads {
		b.Run(h.name, func(b *testing.B) { benchServeListener(b, h.head) })
	}
}

func benchServeListener(b *testing.B, head string) {
	done := make(chan struct{}, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, &AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			b.Error(err)
		} else {
			c.CloseNow()
		}
		done <- struct{}{}
	}), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go ServeListener(srv, ln)
	defer srv.Close()

	client := exec.Command(os.Args[0], "-test.run=^TestHandshakeClientProcess$")
	client.Env = append(os.Environ(), handshakeClientEnv+"="+ln.Addr().String())
	client.Stderr = os.Stderr
	stdin, err := client.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := client.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := client.Start(); err != nil {
		b.Fatal(err)
	}
	defer client.Wait()
	defer stdin.Close()
	// The client reads a count and a head, makes that many handshakes one
	// after another, and answers with one byte.
	run := func(n int) {
		fmt.Fprintf(stdin, "%d %d\n%s", n, len(head), head)
		for range n {
			<-done
		}
		var ack [1]byte
		if _, err := io.ReadFull(stdout, ack[:]); err != nil {
			b.Fatal("client: ", err)
		}
	}
	run(100) // warm the pools and the runtime
	b.ReportAllocs()
	b.ResetTimer()
	run(b.N)
	b.StopTimer()
}

// TestHandshakeClientProcess is the client of
// BenchmarkServeListenerHandshake, run in a process of its own.
func TestHandshakeClientProcess(t *testing.T) {
	addr := os.Getenv(handshakeClientEnv)
	if addr == "" {
		t.Skip("only run by BenchmarkServeListenerHandshake")
	}
	in := bufio.NewReader(os.Stdin)
	resp := make([]byte, 4096)
	for {
		var n, size int
		if _, err := fmt.Fscanf(in, "%d %d\n", &n, &size); err != nil {
			return // the benchmark is over
		}
		head := make([]byte, size)
		if _, err := io.ReadFull(in, head); err != nil {
			t.Fatal(err)
		}
		for range n {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nc.Write(head); err != nil {
				t.Fatal(err)
			}
			// Read the 101 to its end, then the server's close.
			got := 0
			for !strings.Contains(string(resp[:got]), "\r\n\r\n") {
				m, err := nc.Read(resp[got:])
				if err != nil {
					t.Fatalf("after %q: %v", resp[:got], err)
				}
				got += m
			}
			if !strings.HasPrefix(string(resp[:got]), "HTTP/1.1 101 ") {
				t.Fatalf("response %q", resp[:got])
			}
			io.Copy(io.Discard, nc)
			nc.Close()
		}
		os.Stdout.Write([]byte{0})
	}
}
