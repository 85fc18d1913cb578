package loadgen

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
)

// testServer is a small WebSocket server written for these tests, so
// that the load generator is tested against code that shares nothing
// with it but RFC 6455. It echoes, or relays every message to every
// connection (broadcast), and can misbehave on purpose.
type testServer struct {
	ln        net.Listener
	broadcast bool
	// alter, when set, may change, drop (nil) or repeat the payloads
	// of the echo: it is called with the index of the message on the
	// connection.
	alter func(i int, p []byte) [][]byte
	// greeting, when set, is sent to every connection first.
	greeting []byte

	mu    sync.Mutex
	conns map[net.Conn]*sync.Mutex
	wg    sync.WaitGroup
}

func startTestServer(t *testing.T, s *testServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.conns = map[net.Conn]*sync.Mutex{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return "ws://" + ln.Addr().String() + "/"
}

func serverFrame(op byte, p []byte) []byte {
	b := []byte{0x80 | op}
	switch {
	case len(p) <= 125:
		b = append(b, byte(len(p)))
	case len(p) <= 0xffff:
		b = append(b, 126, byte(len(p)>>8), byte(len(p)))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(len(p)))
	}
	return append(b, p...)
}

func (s *testServer) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + websocketGUID))
	io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
		base64.StdEncoding.EncodeToString(sum[:])+"\r\n\r\n")
	wmu := &sync.Mutex{}
	s.mu.Lock()
	s.conns[c] = wmu
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	send := func(c net.Conn, wmu *sync.Mutex, b []byte) {
		wmu.Lock()
		c.Write(b)
		wmu.Unlock()
	}
	if s.greeting != nil {
		send(c, wmu, serverFrame(opText, s.greeting))
	}
	bw := bufio.NewWriter(c)
	for i := 0; ; {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return
		}
		op, n := h[0]&0xf, uint64(h[1]&0x7f)
		switch n {
		case 126:
			var l [2]byte
			io.ReadFull(br, l[:])
			n = uint64(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			io.ReadFull(br, l[:])
			n = binary.BigEndian.Uint64(l[:])
		}
		var key [4]byte
		if _, err := io.ReadFull(br, key[:]); err != nil {
			return
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		mask(p, key, 0)
		if op == opClose {
			send(c, wmu, serverFrame(opClose, p))
			return
		}
		if s.broadcast {
			f := serverFrame(op, p)
			s.mu.Lock()
			for oc, om := range s.conns {
				send(oc, om, f)
			}
			s.mu.Unlock()
			continue
		}
		out := [][]byte{p}
		if s.alter != nil {
			out = s.alter(i, p)
		}
		i++
		wmu.Lock()
		for _, q := range out {
			bw.Write(serverFrame(op, q))
		}
		if br.Buffered() == 0 {
			bw.Flush()
		}
		wmu.Unlock()
	}
}
