package websocket

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

// deflatePayload compresses msg as permessage-deflate sends it.
func deflatePayload(msg []byte) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestSpeed)
	fw.Write(msg)
	fw.Flush()
	return bytes.TrimSuffix(b.Bytes(), deflateTail)
}

// FuzzReadCompressed feeds arbitrary frames to a server connection that
// negotiated permessage-deflate: reading must end with an error, never
// hang or panic, and every message must be within the limit (after
// decompression) and valid UTF-8 when it is text.
func FuzzReadCompressed(f *testing.F) {
	z := deflatePayload
	cat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	seeds := [][]byte{
		fuzzFrame(0xc1, z([]byte("hello hello hello")), true),
		cat(fuzzFrame(0xc2, z(bytes.Repeat([]byte("ab"), 100)), true), fuzzFrame(0xc1, z([]byte("second")), true)),
		fuzzFrame(0xc1, z(bytes.Repeat([]byte{0}, 100000)), true), // inflates past the limit
		fuzzFrame(0xc1, z([]byte("bad \xff")), true),              // invalid UTF-8 inside
		fuzzFrame(0xc1, []byte{0xff, 0xff, 0xff}, true),           // not deflate
		cat(fuzzFrame(0x41, z([]byte("frag"))[:2], true), fuzzFrame(0x89, nil, true), fuzzFrame(0x80, z([]byte("frag"))[2:], true)),
		fuzzFrame(0xc0, z([]byte("rsv1 on continuation")), true),
		fuzzFrame(0xc9, nil, true), // RSV1 on a ping
		fuzzFrame(0xc1, nil, true), // empty compressed message
	}
	for i, s := range seeds {
		f.Add(s, byte(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, flags byte) {
		takeover := flags&1 != 0
		streaming := flags&2 != 0
		bits := 8 + int(flags>>2&7)
		const limit = 4096
		p := deflateParams{
			serverNoContextTakeover: !takeover,
			clientNoContextTakeover: !takeover,
			serverMaxWindowBits:     bits,
			clientMaxWindowBits:     bits,
		}
		local, peer := socketPair(t)
		defer peer.Close()
		c := newConn(local, connConfig{
			readLimit: limit,
			deflate:   newDeflateState(p, "permessage-deflate", &CompressionOptions{}, false),
		})
		defer c.CloseNow()
		go func() {
			peer.SetReadDeadline(time.Now().Add(fuzzWait))
			io.Copy(io.Discard, peer)
		}()
		go func() {
			peer.SetWriteDeadline(time.Now().Add(fuzzWait))
			peer.Write(data)
			peer.(interface{ CloseWrite() error }).CloseWrite()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
		defer cancel()
		var err error
		for {
			var typ MessageType
			var msg []byte
			if streaming {
				var r io.Reader
				if typ, r, err = c.Reader(ctx); err == nil {
					msg, err = io.ReadAll(r)
				}
			} else {
				typ, msg, err = c.Read(ctx)
			}
			if err != nil {
				break
			}
			if len(msg) > limit {
				t.Fatalf("%d-byte message over the limit", len(msg))
			}
			if typ == MessageText && !utf8.Valid(msg) {
				t.Fatalf("text %q is not UTF-8", msg)
			}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("reading %x hung", data)
		}
		var ce *CloseError
		if errors.As(err, &ce) && ce.Local {
			switch ce.Code {
			case StatusProtocolError, StatusInvalidFramePayloadData, StatusMessageTooBig:
			default:
				t.Fatalf("failed with unexpected code %v", ce.Code)
			}
		}
	})
}

// FuzzNegotiation checks that the server's answer to any
// Sec-WebSocket-Extensions offer is one that a client offering the same
// parameters accepts, and that nothing panics on either side.
func FuzzNegotiation(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		"permessage-deflate; unknown, permessage-deflate; client_max_window_bits=\"12\"",
		"x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=8",
		"permessage-deflate; server_max_window_bits=16",
		"permessage-deflate; server_no_context_takeover; server_no_context_takeover",
	} {
		f.Add(s, byte(0))
	}
	f.Fuzz(func(t *testing.T, offer string, flags byte) {
		opts := &CompressionOptions{
			ServerNoContextTakeover: flags&1 != 0,
			ClientNoContextTakeover: flags&2 != 0,
			ServerMaxWindowBits:     []int{0, 8, 10, 15}[flags>>2&3],
			ClientMaxWindowBits:     []int{0, 9, 12, 15}[flags>>4&3],
		}
		h := http.Header{"Sec-Websocket-Extensions": {offer}}
		params, resp, ok := acceptDeflate(h, opts)
		if !ok {
			return
		}
		if params.serverMaxWindowBits < minWindowBits || params.serverMaxWindowBits > maxWindowBits ||
			params.clientMaxWindowBits < minWindowBits || params.clientMaxWindowBits > maxWindowBits {
			t.Fatalf("window bits out of range: %+v", params)
		}
		exts, valid := parseExtensions(http.Header{"Sec-Websocket-Extensions": {resp}})
		if len(exts) != 1 || !valid[0] || exts[0].name != "permessage-deflate" {
			t.Fatalf("answer %q does not parse", resp)
		}
		// A client that offered what the accepted offer held must accept
		// the answer.
		for _, e := range exts0(offer) {
			o, ok := parseOffer(e)
			if !ok {
				continue
			}
			client := &CompressionOptions{
				ServerNoContextTakeover: o.serverNoContextTakeover,
				ClientNoContextTakeover: o.clientNoContextTakeover,
				ServerMaxWindowBits:     o.serverMaxWindowBits,
				ClientMaxWindowBits:     o.clientMaxWindowBits,
			}
			if !o.clientMaxWindowBitsOK {
				// This client did not offer to accept a window limit.
				if bytes.Contains([]byte(resp), []byte("client_max_window_bits")) {
					t.Fatalf("answer %q limits a client window that was not offered", resp)
				}
				break
			}
			got, ok, err := checkDeflateResponse(http.Header{"Sec-Websocket-Extensions": {resp}}, client)
			if err != nil || !ok {
				t.Fatalf("offer %q, answer %q: client refuses: %v", offer, resp, err)
			}
			if got.serverNoContextTakeover != params.serverNoContextTakeover || got.clientMaxWindowBits != params.clientMaxWindowBits {
				t.Fatalf("offer %q, answer %q: client reads %+v, server %+v", offer, resp, got, params)
			}
			break
		}
	})
}

// exts0 returns the valid permessage-deflate elements of an offer.
func exts0(offer string) []extension {
	exts, valid := parseExtensions(http.Header{"Sec-Websocket-Extensions": {offer}})
	var out []extension
	for i, e := range exts {
		if valid[i] && e.name == "permessage-deflate" {
			out = append(out, e)
		}
	}
	return out
}
