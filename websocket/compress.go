package websocket

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/klauspost/compress/flate"
)

// CompressionOptions configures the permessage-deflate extension (RFC
// 7692). Setting AcceptOptions.Compression or DialOptions.Compression to a
// non-nil value enables it; the zero value asks for what the RFC calls
// the defaults: context takeover in both directions, 32 KiB windows.
//
// Memory: without context takeover in a direction, compressors and
// decompressors come from pools and an idle connection holds none. With
// context takeover, the receiving side keeps the peer's window (at most
// 2^ClientMaxWindowBits or 2^ServerMaxWindowBits bytes, 32 KiB by
// default) and the sending side keeps its compressor, several hundred
// kilobytes at the full window: servers with many connections should set
// ServerNoContextTakeover, which costs some compression ratio.
type CompressionOptions struct {
	// ServerNoContextTakeover makes the server start every message with an
	// empty window. A server always grants it when asked; setting it on a
	// server imposes it, setting it on a client requests it.
	ServerNoContextTakeover bool

	// ClientNoContextTakeover makes the client start every message with an
	// empty window. Setting it on a server requires it of the client;
	// setting it on a client announces it.
	ClientNoContextTakeover bool

	// ServerMaxWindowBits limits the server's window to 2^bits bytes, 8 to
	// 15; 0 means 15. A client requests it; a server uses it for its own
	// compression.
	ServerMaxWindowBits int

	// ClientMaxWindowBits limits the client's window to 2^bits bytes, 8 to
	// 15; 0 means 15. A client uses it for its own compression; a server
	// requires it of a client that offered to accept a limit.
	ClientMaxWindowBits int

	// Level is this side's compression level, from flate.BestSpeed (1) to
	// flate.BestCompression (9); 0 means flate.BestSpeed. A window smaller
	// than 15 bits uses a dedicated compressor and ignores Level.
	Level int

	// Threshold is the size under which messages are sent uncompressed;
	// 0 means 128 bytes. Set it to -1 to compress every message.
	Threshold int
}

const (
	defaultCompressionThreshold = 128
	minWindowBits               = 8
	maxWindowBits               = 15
)

// deflateParams are the negotiated parameters of permessage-deflate.
type deflateParams struct {
	serverNoContextTakeover bool
	clientNoContextTakeover bool
	serverMaxWindowBits     int // 8-15
	clientMaxWindowBits     int // 8-15
}

func (o *CompressionOptions) validate() error {
	for _, bits := range []int{o.ServerMaxWindowBits, o.ClientMaxWindowBits} {
		if bits != 0 && (bits < minWindowBits || bits > maxWindowBits) {
			return fmt.Errorf("websocket: window bits %d outside 8-15", bits)
		}
	}
	if o.Level < 0 || o.Level > flate.BestCompression {
		return fmt.Errorf("websocket: compression level %d outside 1-9", o.Level)
	}
	return nil
}

func windowBitsOr15(bits int) int {
	if bits == 0 {
		return maxWindowBits
	}
	return bits
}

// parseWindowBits parses a window bits value: 8 to 15, digits only, no
// leading zero (RFC 7692, section 7.1.2).
func parseWindowBits(s string) (int, bool) {
	if len(s) == 0 || len(s) > 2 || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < minWindowBits || n > maxWindowBits {
		return 0, false
	}
	return n, true
}

// deflateOffer is a client's offer as the server reads it.
type deflateOffer struct {
	serverNoContextTakeover bool
	clientNoContextTakeover bool
	serverMaxWindowBits     int  // 0 when not offered
	clientMaxWindowBits     int  // 0 when not offered or without a value
	clientMaxWindowBitsOK   bool // the client accepts a client_max_window_bits answer
}

// parseOffer reads one permessage-deflate offer; an offer with an
// unknown or repeated parameter, or a bad value, is declined (section
// 7.1).
func parseOffer(e extension) (deflateOffer, bool) {
	var o deflateOffer
	seen := map[string]bool{}
	for _, p := range e.params {
		if seen[p.name] {
			return o, false
		}
		seen[p.name] = true
		switch p.name {
		case "server_no_context_takeover":
			if p.hasValue {
				return o, false
			}
			o.serverNoContextTakeover = true
		case "client_no_context_takeover":
			if p.hasValue {
				return o, false
			}
			o.clientNoContextTakeover = true
		case "server_max_window_bits":
			bits, ok := parseWindowBits(p.value)
			if !p.hasValue || !ok {
				return o, false
			}
			o.serverMaxWindowBits = bits
		case "client_max_window_bits":
			o.clientMaxWindowBitsOK = true
			if p.hasValue {
				bits, ok := parseWindowBits(p.value)
				if !ok {
					return o, false
				}
				o.clientMaxWindowBits = bits
			}
		default:
			return o, false
		}
	}
	return o, true
}

// acceptDeflate picks the first acceptable permessage-deflate offer of
// the request and returns the negotiated parameters and the response
// header value.
func acceptDeflate(h http.Header, opts *CompressionOptions) (deflateParams, string, bool) {
	exts, valid := parseExtensions(h)
	for i, e := range exts {
		if !valid[i] || e.name != "permessage-deflate" {
			continue
		}
		offer, ok := parseOffer(e)
		if !ok {
			continue
		}
		p := deflateParams{
			serverNoContextTakeover: offer.serverNoContextTakeover || opts.ServerNoContextTakeover,
			clientNoContextTakeover: offer.clientNoContextTakeover || opts.ClientNoContextTakeover,
			serverMaxWindowBits:     windowBitsOr15(opts.ServerMaxWindowBits),
			clientMaxWindowBits:     maxWindowBits,
		}
		var b strings.Builder
		b.WriteString("permessage-deflate")
		if p.serverNoContextTakeover {
			b.WriteString("; server_no_context_takeover")
		}
		if p.clientNoContextTakeover {
			b.WriteString("; client_no_context_takeover")
		}
		// Section 7.1.2.1: accepting an offer with server_max_window_bits
		// means answering it, with the same or a smaller value. Without
		// the offer, a smaller window needs no announcement (some clients
		// refuse one), since the client decodes any window.
		if offer.serverMaxWindowBits != 0 {
			p.serverMaxWindowBits = min(p.serverMaxWindowBits, offer.serverMaxWindowBits)
			b.WriteString("; server_max_window_bits=" + strconv.Itoa(p.serverMaxWindowBits))
		}
		// Section 7.1.2.2: client_max_window_bits may be answered only
		// when offered.
		if offer.clientMaxWindowBitsOK {
			p.clientMaxWindowBits = windowBitsOr15(opts.ClientMaxWindowBits)
			if offer.clientMaxWindowBits != 0 {
				p.clientMaxWindowBits = min(p.clientMaxWindowBits, offer.clientMaxWindowBits)
			}
			if p.clientMaxWindowBits < maxWindowBits || offer.clientMaxWindowBits != 0 {
				b.WriteString("; client_max_window_bits=" + strconv.Itoa(p.clientMaxWindowBits))
			}
		}
		return p, b.String(), true
	}
	return deflateParams{}, "", false
}

// offer builds the client's Sec-WebSocket-Extensions value.
func (o *CompressionOptions) offer() string {
	var b strings.Builder
	b.WriteString("permessage-deflate")
	if o.ServerNoContextTakeover {
		b.WriteString("; server_no_context_takeover")
	}
	if o.ClientNoContextTakeover {
		b.WriteString("; client_no_context_takeover")
	}
	if o.ServerMaxWindowBits != 0 && o.ServerMaxWindowBits < maxWindowBits {
		b.WriteString("; server_max_window_bits=" + strconv.Itoa(o.ServerMaxWindowBits))
	}
	if o.ClientMaxWindowBits != 0 && o.ClientMaxWindowBits < maxWindowBits {
		b.WriteString("; client_max_window_bits=" + strconv.Itoa(o.ClientMaxWindowBits))
	} else {
		b.WriteString("; client_max_window_bits")
	}
	return b.String()
}

// checkDeflateResponse validates the server's answer to the client's
// offer (section 7.1) and returns the negotiated parameters.
func checkDeflateResponse(h http.Header, opts *CompressionOptions) (deflateParams, bool, error) {
	exts, valid := parseExtensions(h)
	if len(exts) == 0 {
		return deflateParams{}, false, nil
	}
	if len(exts) > 1 {
		return deflateParams{}, false, fmt.Errorf("websocket: server chose %d extensions, only permessage-deflate was offered", len(exts))
	}
	e := exts[0]
	if !valid[0] {
		return deflateParams{}, false, fmt.Errorf("websocket: malformed Sec-WebSocket-Extensions %q", strings.Join(h.Values("Sec-WebSocket-Extensions"), ", "))
	}
	if e.name != "permessage-deflate" {
		return deflateParams{}, false, fmt.Errorf("websocket: server chose extension %q, which was not offered", e.name)
	}
	p := deflateParams{
		serverMaxWindowBits: maxWindowBits,
		clientMaxWindowBits: windowBitsOr15(opts.ClientMaxWindowBits),
	}
	seen := map[string]bool{}
	for _, prm := range e.params {
		if seen[prm.name] {
			return p, false, fmt.Errorf("websocket: server repeated permessage-deflate parameter %s", prm.name)
		}
		seen[prm.name] = true
		switch prm.name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if prm.hasValue {
				return p, false, fmt.Errorf("websocket: server gave %s a value", prm.name)
			}
			if prm.name == "server_no_context_takeover" {
				p.serverNoContextTakeover = true
			} else {
				p.clientNoContextTakeover = true
			}
		case "server_max_window_bits":
			bits, err := answeredWindowBits(prm, opts.ServerMaxWindowBits)
			if err != nil {
				return p, false, err
			}
			p.serverMaxWindowBits = bits
		case "client_max_window_bits":
			bits, err := answeredWindowBits(prm, opts.ClientMaxWindowBits)
			if err != nil {
				return p, false, err
			}
			p.clientMaxWindowBits = bits
		default:
			return p, false, fmt.Errorf("websocket: server sent unknown permessage-deflate parameter %q", prm.name)
		}
	}
	if opts.ServerNoContextTakeover && !p.serverNoContextTakeover {
		return p, false, errors.New("websocket: server ignored the server_no_context_takeover requested")
	}
	if opts.ServerMaxWindowBits != 0 && opts.ServerMaxWindowBits < maxWindowBits && !seen["server_max_window_bits"] {
		return p, false, fmt.Errorf("websocket: server did not accept server_max_window_bits=%d", opts.ServerMaxWindowBits)
	}
	if opts.ClientNoContextTakeover {
		p.clientNoContextTakeover = true
	}
	return p, true, nil
}

// answeredWindowBits checks a window bits parameter of the server's
// answer against the value offered (0 for 15).
func answeredWindowBits(prm extParam, offered int) (int, error) {
	bits, ok := parseWindowBits(prm.value)
	if !prm.hasValue || !ok {
		return 0, fmt.Errorf("websocket: server sent %s=%q, want 8-15", prm.name, prm.value)
	}
	if limit := windowBitsOr15(offered); bits > limit {
		return 0, fmt.Errorf("websocket: server chose %s=%d, above the %d offered", prm.name, bits, limit)
	}
	return bits, nil
}
