package websocket

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// AcceptOptions configures Accept. A nil *AcceptOptions means the
// defaults: no subprotocol, the origin checked against the request's
// host, DefaultReadLimit, no keep-alive.
type AcceptOptions struct {
	// Subprotocols lists the subprotocols the server speaks, most
	// preferred first. The first one the client also offered is chosen.
	Subprotocols []string

	// SelectSubprotocol, when set, chooses instead of Subprotocols: it
	// returns one of offered, or "" for none.
	SelectSubprotocol func(r *http.Request, offered []string) string

	// OriginPatterns lists further hosts whose pages may connect, as
	// path.Match patterns against the Origin's host (with port, if any),
	// such as "example.com" or "*.example.com:8080". The request's own
	// host is always allowed.
	OriginPatterns []string

	// InsecureSkipVerify turns the origin check off, so that any web page
	// may connect with its visitors' cookies. Only for endpoints that
	// authenticate by other means.
	InsecureSkipVerify bool

	// ReadLimit is the largest message accepted; 0 means DefaultReadLimit.
	// With compression it bounds the decompressed size.
	ReadLimit int64

	// QueueLimit is the most payload bytes Enqueue holds for the
	// connection; 0 means DefaultQueueLimit.
	QueueLimit int

	// Compression, when not nil, accepts permessage-deflate (RFC 7692)
	// if the client offers it.
	Compression *CompressionOptions

	// PingInterval, when positive, sends a ping at that interval; a pong
	// that does not come within PongTimeout (default PingInterval) closes
	// the connection.
	PingInterval time.Duration
	PongTimeout  time.Duration
}

// A HandshakeError is a refused opening handshake: Accept answered the
// request with Status and Reason.
type HandshakeError struct {
	Status int
	Reason string
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("websocket: handshake refused with %d %s: %s", e.Status, http.StatusText(e.Status), e.Reason)
}

// Accept completes the server side of the opening handshake (RFC 6455,
// section 4.2) and takes over the connection. When the request is not a
// valid WebSocket handshake, Accept writes an HTTP error with a one-line
// reason and returns a *HandshakeError.
//
// Headers set on w before Accept (cookies, say) go out with the 101
// response. The request's origin is checked: see AcceptOptions.
func Accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, error) {
	if opts == nil {
		opts = &AcceptOptions{}
	}
	if opts.Compression != nil {
		if err := opts.Compression.validate(); err != nil {
			return nil, refuse(w, &HandshakeError{http.StatusInternalServerError, err.Error()})
		}
	}
	if herr := checkRequest(r); herr != nil {
		return nil, refuse(w, herr)
	}
	if !opts.InsecureSkipVerify {
		if herr := checkOrigin(r, opts.OriginPatterns); herr != nil {
			return nil, refuse(w, herr)
		}
	}
	offered := headerTokens(r.Header, "Sec-Websocket-Protocol") // canonical: no copy
	subprotocol := chooseSubprotocol(r, opts, offered)
	var deflate *deflateState
	var extensions string
	if opts.Compression != nil {
		if params, resp, ok := acceptDeflate(r.Header, opts.Compression); ok {
			extensions = resp
			deflate = newDeflateState(params, resp, opts.Compression, false)
		}
	}

	nc, early, err := takeOver(w)
	if err != nil {
		herr := &HandshakeError{Status: http.StatusInternalServerError, Reason: "connection cannot be taken over: " + err.Error()}
		return nil, refuse(w, herr)
	}
	// The response is built in a write buffer, which the Conn's first
	// frame takes again.
	buf := writeBufPool.Get().(*buffer)
	resp := appendResponse(buf.b[:0], responseHeaderOf(w), r.Header["Sec-Websocket-Key"][0], subprotocol, extensions)
	nc.SetDeadline(time.Now().Add(closeTimeout))
	_, err = nc.Write(resp)
	writeBufPool.Put(buf)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket: writing handshake response: %w", err)
	}
	nc.SetDeadline(time.Time{})
	return newConn(nc, connConfig{
		subprotocol:  subprotocol,
		deflate:      deflate,
		readLimit:    opts.ReadLimit,
		queueLimit:   opts.QueueLimit,
		pingInterval: opts.PingInterval,
		pongTimeout:  opts.PongTimeout,
		buffered:     early,
	}), nil
}

// responseHeaderOf returns w's header map, without making one for a
// handler of ServeListener that set none.
func responseHeaderOf(w http.ResponseWriter) http.Header {
	if u, ok := w.(*upgradeResponse); ok {
		return u.header
	}
	return w.Header()
}

// takeOver takes the connection of w over, with the bytes the client sent
// after its request.
func takeOver(w http.ResponseWriter) (net.Conn, []byte, error) {
	if u := unwrapUpgrade(w); u != nil && !u.hijacked && u.status == 0 {
		// ServeListener left the bytes after the head on the socket.
		return u.takeOver(), nil, nil
	}
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, err
	}
	var early []byte
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ = brw.Reader.Peek(n)
		early = append([]byte(nil), early...)
	}
	// net/http hands over the connection's own buffers, which stay
	// reachable while the handler runs; drop their memory now.
	*brw.Reader = bufio.Reader{}
	*brw.Writer = bufio.Writer{}
	return nc, early, nil
}

// checkRequest validates the client's opening handshake (section 4.2.1).
func checkRequest(r *http.Request) *HandshakeError {
	switch {
	case r.Method != http.MethodGet:
		return &HandshakeError{http.StatusMethodNotAllowed, "WebSocket handshake must use GET, not " + r.Method}
	case !r.ProtoAtLeast(1, 1):
		return &HandshakeError{http.StatusBadRequest, "WebSocket handshake requires HTTP/1.1 or later, got " + r.Proto}
	case !hasToken(r.Header, "Upgrade", "websocket"):
		return &HandshakeError{http.StatusUpgradeRequired, `missing "Upgrade: websocket" header`}
	case !hasToken(r.Header, "Connection", "upgrade"):
		return &HandshakeError{http.StatusBadRequest, `missing "Connection: Upgrade" header`}
	case !single(r.Header["Sec-Websocket-Version"], "13"):
		return &HandshakeError{http.StatusUpgradeRequired, "unsupported Sec-WebSocket-Version " + fmt.Sprintf("%q", r.Header.Get("Sec-Websocket-Version")) + "; this server speaks 13"}
	case len(r.Header["Sec-Websocket-Key"]) != 1 || !validKey(r.Header["Sec-Websocket-Key"][0]):
		return &HandshakeError{http.StatusBadRequest, "Sec-WebSocket-Key must be the base64 encoding of 16 bytes"}
	}
	return nil
}

// single reports whether values is the one value v. Header names here
// are canonical: http.Header.Get would make a canonical copy of
// "Sec-WebSocket-Key" on each call.
func single(values []string, v string) bool { return len(values) == 1 && values[0] == v }

// checkOrigin refuses cross-origin requests from browsers (section
// 10.2): the Origin's host must be the request's or match a pattern.
// Requests without Origin come from non-browser clients and are allowed.
func checkOrigin(r *http.Request, patterns []string) *HandshakeError {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	host, ok := originHost(origin)
	if !ok {
		return &HandshakeError{http.StatusForbidden, fmt.Sprintf("origin %q is not a URL", origin)}
	}
	if strings.EqualFold(host, r.Host) {
		return nil
	}
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(host)); ok {
			return nil
		}
		if !strings.Contains(p, ":") {
			// A pattern without a port matches the host on any port.
			if name, _, err := net.SplitHostPort(host); err == nil {
				if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(name)); ok {
					return nil
				}
			}
		}
	}
	return &HandshakeError{http.StatusForbidden, fmt.Sprintf("origin %q is not allowed", origin)}
}

// originHost returns the host of origin, as url.Parse finds it, and
// false when origin is not a URL with a host. The form browsers send, a
// scheme and a host of letters, digits, dots and hyphens with an optional
// port, is read without url.Parse and its allocation.
func originHost(origin string) (string, bool) {
	if scheme, host, ok := strings.Cut(origin, "://"); ok && plainScheme(scheme) && plainHost(host) {
		return host, true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return "", false
	}
	return u.Host, true
}

// plainScheme reports whether s is a URL scheme (RFC 3986, section 3.1).
func plainScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// plainHost reports whether s is a host name of letters, digits, dots and
// hyphens, with a port of digits after a colon, or without.
func plainHost(s string) bool {
	name, port, _ := strings.Cut(s, ":")
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

func chooseSubprotocol(r *http.Request, opts *AcceptOptions, offered []string) string {
	if len(offered) == 0 {
		return ""
	}
	if opts.SelectSubprotocol != nil {
		choice := opts.SelectSubprotocol(r, offered)
		for _, o := range offered {
			if o == choice {
				return choice
			}
		}
		return ""
	}
	for _, s := range opts.Subprotocols {
		for _, o := range offered {
			if o == s {
				return s
			}
		}
	}
	return ""
}

// refuse answers a failed handshake and returns the error.
func refuse(w http.ResponseWriter, herr *HandshakeError) error {
	h := w.Header()
	switch herr.Status {
	case http.StatusUpgradeRequired:
		h.Set("Upgrade", "websocket")
		h.Set("Connection", "Upgrade")
		h.Set("Sec-WebSocket-Version", "13")
	case http.StatusMethodNotAllowed:
		h.Set("Allow", http.MethodGet)
	}
	http.Error(w, herr.Reason, herr.Status)
	return herr
}

// appendResponse appends to dst the 101 response (section 4.2.2) to a
// request with key, with the headers the handler set.
func appendResponse(dst []byte, extra http.Header, key, subprotocol, extensions string) []byte {
	const status = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
	b := append(dst, status...)
	b = appendAcceptKey(b, key)
	b = append(b, "\r\n"...)
	if subprotocol != "" {
		b = append(b, "Sec-WebSocket-Protocol: "...)
		b = append(b, subprotocol...)
		b = append(b, "\r\n"...)
	}
	if extensions != "" {
		b = append(b, "Sec-WebSocket-Extensions: "...)
		b = append(b, extensions...)
		b = append(b, "\r\n"...)
	}
	for k, vs := range extra {
		switch k {
		case "Upgrade", "Connection", "Sec-Websocket-Accept", "Sec-Websocket-Protocol", "Sec-Websocket-Extensions", "Content-Length", "Content-Type", "Transfer-Encoding":
			continue
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			for i := 0; i < len(v); i++ {
				c := v[i]
				if c == '\r' || c == '\n' {
					c = ' ' // a line break would end the header early
				}
				b = append(b, c)
			}
			b = append(b, "\r\n"...)
		}
	}
	return append(b, "\r\n"...)
}
