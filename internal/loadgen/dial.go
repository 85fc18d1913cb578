package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// target is a parsed ws:// URL with its address resolved once, so that
// every connection goes to the same, checked address.
type target struct {
	addr    string // resolved ip:port to dial
	host    string // Host header
	reqPath string // path and query
}

// errNotLoopback is returned when LoopbackOnly is set and the URL's host
// resolves to an address outside 127.0.0.0/8 and ::1.
var errNotLoopback = errors.New("loadgen: target is not a loopback address (only 127.0.0.0/8 and ::1 are allowed)")

// resolveTarget parses rawURL and resolves its host. With loopbackOnly,
// every address of the host must be a loopback address.
func resolveTarget(ctx context.Context, rawURL string, loopbackOnly bool) (*target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("loadgen: bad URL: %w", err)
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("loadgen: URL scheme %q: only ws:// is supported", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return nil, errors.New("loadgen: URL has no host")
	}
	if port == "" {
		port = "80"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("loadgen: bad port %q", port)
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("loadgen: resolving %s: %w", host, err)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("loadgen: %s has no address", host)
	}
	if loopbackOnly {
		for _, ip := range ips {
			if !ip.IsLoopback() {
				return nil, fmt.Errorf("%w: %s is %s", errNotLoopback, host, ip)
			}
		}
	}
	// Prefer IPv4, as most servers listen there.
	ip := ips[0]
	for _, c := range ips {
		if c.To4() != nil {
			ip = c
			break
		}
	}
	hostHeader := u.Host
	if u.Port() == "" {
		hostHeader = u.Hostname()
		if strings.Contains(hostHeader, ":") {
			hostHeader = "[" + hostHeader + "]"
		}
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return &target{addr: net.JoinHostPort(ip.String(), port), host: hostHeader, reqPath: p}, nil
}

// IsLoopbackURL reports whether every address of rawURL's host is a
// loopback address.
func IsLoopbackURL(ctx context.Context, rawURL string) error {
	_, err := resolveTarget(ctx, rawURL, true)
	return err
}

const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// maxHandshake bounds the server's handshake response.
const maxHandshake = 16 << 10

// handshakeError is a failed opening handshake.
type handshakeError struct{ msg string }

func (e *handshakeError) Error() string { return "handshake: " + e.msg }

// dial opens a TCP connection to t and performs the opening handshake
// (RFC 6455, section 4.1) by hand, offering no extension and no
// subprotocol. It returns the connection and the bytes that followed the
// handshake response, which belong to the first frames.
func dial(ctx context.Context, t *target, timeout time.Duration, origin string) (net.Conn, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, nil, err
	}
	deadline, _ := ctx.Deadline()
	nc.SetDeadline(deadline)
	var keyBytes [16]byte
	rand.Read(keyBytes[:])
	key := base64.StdEncoding.EncodeToString(keyBytes[:])
	var req bytes.Buffer
	req.WriteString("GET " + t.reqPath + " HTTP/1.1\r\nHost: " + t.host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n")
	if origin != "" {
		req.WriteString("Origin: " + origin + "\r\n")
	}
	req.WriteString("\r\n")
	if _, err := nc.Write(req.Bytes()); err != nil {
		nc.Close()
		return nil, nil, err
	}
	buf := make([]byte, 0, 1024)
	for {
		if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
			if err := checkResponse(buf[:i], key); err != nil {
				nc.Close()
				return nil, nil, err
			}
			nc.SetDeadline(time.Time{})
			return nc, buf[i+4:], nil
		}
		if len(buf) >= maxHandshake {
			nc.Close()
			return nil, nil, &handshakeError{"response headers too long"}
		}
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, cap(buf))...)[:len(buf)]
		}
		n, err := nc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			nc.Close()
			return nil, nil, err
		}
	}
}

// checkResponse checks the status line and headers of the server's
// handshake response (RFC 6455, section 4.1, items 1 to 6 of the
// client's checks).
func checkResponse(head []byte, key string) error {
	lines := strings.Split(string(head), "\r\n")
	status := strings.SplitN(lines[0], " ", 3)
	if len(status) < 2 || !strings.HasPrefix(status[0], "HTTP/1.") {
		return &handshakeError{fmt.Sprintf("bad status line %q", lines[0])}
	}
	if status[1] != "101" {
		return &handshakeError{fmt.Sprintf("server answered %q, not 101", lines[0])}
	}
	var upgrade, connection, accept, extensions, protocol string
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return &handshakeError{fmt.Sprintf("bad header line %q", l)}
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "upgrade":
			upgrade = v
		case "connection":
			connection += "," + v
		case "sec-websocket-accept":
			accept = v
		case "sec-websocket-extensions":
			extensions += v
		case "sec-websocket-protocol":
			protocol += v
		}
	}
	if !strings.EqualFold(upgrade, "websocket") {
		return &handshakeError{fmt.Sprintf("Upgrade header %q", upgrade)}
	}
	hasUpgrade := false
	for _, tok := range strings.Split(connection, ",") {
		if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
			hasUpgrade = true
		}
	}
	if !hasUpgrade {
		return &handshakeError{"Connection header without upgrade"}
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	if want := base64.StdEncoding.EncodeToString(sum[:]); accept != want {
		return &handshakeError{fmt.Sprintf("Sec-WebSocket-Accept %q, want %q", accept, want)}
	}
	if extensions != "" {
		return &handshakeError{fmt.Sprintf("server chose extensions %q that were not offered", extensions)}
	}
	if protocol != "" {
		return &handshakeError{fmt.Sprintf("server chose subprotocol %q that was not offered", protocol)}
	}
	return nil
}
