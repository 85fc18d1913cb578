package websocket

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// DialOptions configures Dial. A nil *DialOptions means the defaults: no
// extra headers or subprotocols, the proxy from the environment,
// DefaultReadLimit, no keep-alive.
type DialOptions struct {
	// HTTPHeader holds extra request headers, such as Origin, Cookie or
	// Authorization. Host sets the Host header. The handshake's own
	// headers may not be set here.
	HTTPHeader http.Header

	// Subprotocols are offered to the server, most preferred first.
	Subprotocols []string

	// TLSConfig configures wss:// connections; nil means the defaults,
	// with ServerName taken from the URL.
	TLSConfig *tls.Config

	// Proxy returns the HTTP proxy to tunnel through with CONNECT, or nil
	// for none. nil means http.ProxyFromEnvironment (HTTP_PROXY,
	// HTTPS_PROXY, NO_PROXY); set NoProxy to always connect directly.
	Proxy func(*http.Request) (*url.URL, error)

	// NetDialContext dials TCP connections; nil means a net.Dialer.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// ReadLimit is the largest message accepted; 0 means DefaultReadLimit.
	// With compression it bounds the decompressed size.
	ReadLimit int64

	// QueueLimit is the most payload bytes Enqueue holds for the
	// connection; 0 means DefaultQueueLimit.
	QueueLimit int

	// Compression, when not nil, offers permessage-deflate (RFC 7692);
	// Conn.Extensions reports whether the server accepted it.
	Compression *CompressionOptions

	// PingInterval and PongTimeout configure a keep-alive as in
	// AcceptOptions.
	PingInterval time.Duration
	PongTimeout  time.Duration
}

// NoProxy is a DialOptions.Proxy that never uses a proxy.
func NoProxy(*http.Request) (*url.URL, error) { return nil, nil }

// maxResponseHeader bounds the server's handshake response.
const maxResponseHeader = 64 << 10

// Dial opens a WebSocket connection to a ws:// or wss:// URL (RFC 6455,
// section 4.1). ctx bounds the whole opening handshake; it does not
// apply to the connection afterwards.
//
// When the server answers with something other than a valid 101
// response, the error says what was wrong and the *http.Response, if
// one was read, is returned with up to 1 KiB of its body.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	u, err := parseWebSocketURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	if opts.Compression != nil {
		if err := opts.Compression.validate(); err != nil {
			return nil, nil, err
		}
	}
	for _, k := range []string{"Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol"} {
		if _, ok := opts.HTTPHeader[k]; ok {
			return nil, nil, fmt.Errorf("websocket: header %s is set by the handshake and may not be given in HTTPHeader", k)
		}
	}

	c, resp, err := dialAndHandshake(ctx, u, opts)
	if err != nil {
		if ctxErr := contextError(ctx); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("websocket: opening handshake interrupted: %w (%v)", ctxErr, err)
		}
		return nil, resp, err
	}
	return c, resp, nil
}

// dialAndHandshake connects and runs the opening handshake, with every
// blocking step bounded by ctx.
func dialAndHandshake(ctx context.Context, u *url.URL, opts *DialOptions) (*Conn, *http.Response, error) {
	// Once a connection exists, ctx's end interrupts whatever step is
	// waiting on it: the proxy's answer, TLS, or the server's response.
	var (
		mu      sync.Mutex
		current net.Conn
		ended   bool
	)
	watch := func(nc net.Conn) {
		mu.Lock()
		current = nc
		if d, ok := ctx.Deadline(); ok {
			nc.SetDeadline(d)
		}
		if ended {
			nc.SetDeadline(aLongTimeAgo)
		}
		mu.Unlock()
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		ended = true
		if current != nil {
			current.SetDeadline(aLongTimeAgo)
		}
		mu.Unlock()
	})
	defer stop()

	nc, err := dialTransport(ctx, u, opts, watch)
	if err != nil {
		return nil, nil, err
	}
	c, resp, err := handshake(nc, u, opts)
	if err == nil && !stop() && ctx.Err() != nil {
		c.CloseNow()
		err = ctx.Err()
	}
	if err != nil {
		nc.Close()
		return nil, resp, err
	}
	nc.SetDeadline(time.Time{})
	return c, resp, nil
}

// parseWebSocketURL checks a ws:// or wss:// URL (section 3).
func parseWebSocketURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket: bad URL: %w", err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("websocket: URL scheme must be ws or wss, not %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("websocket: URL has no host")
	}
	if u.Fragment != "" || strings.Contains(rawURL, "#") {
		return nil, errors.New("websocket: URL must not have a fragment")
	}
	return u, nil
}

// hostPort returns u's host with the scheme's default port added.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "wss" || u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// dialTransport connects to the server, through a proxy if one applies,
// and adds TLS for wss.
func dialTransport(ctx context.Context, u *url.URL, opts *DialOptions, watch func(net.Conn)) (net.Conn, error) {
	dial := opts.NetDialContext
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	proxyFunc := opts.Proxy
	if proxyFunc == nil {
		proxyFunc = http.ProxyFromEnvironment
	}
	// Proxy functions know http and https, not ws and wss.
	pu := *u
	pu.Scheme = map[string]string{"ws": "http", "wss": "https"}[u.Scheme]
	proxyURL, err := proxyFunc(&http.Request{URL: &pu})
	if err != nil {
		return nil, fmt.Errorf("websocket: choosing a proxy: %w", err)
	}
	addr := hostPort(u)
	var nc net.Conn
	if proxyURL != nil {
		nc, err = dialProxy(ctx, dial, proxyURL, addr, watch)
	} else {
		nc, err = dial(ctx, "tcp", addr)
		if err == nil {
			watch(nc)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("websocket: dial %s: %w", addr, err)
	}
	if u.Scheme == "wss" {
		cfg := opts.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		// A WebSocket handshake is HTTP/1.1 only.
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(nc, cfg)
		watch(tc)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("websocket: TLS handshake with %s: %w", addr, err)
		}
		nc = tc
	}
	return nc, nil
}

// dialProxy opens a tunnel to addr through an HTTP proxy with CONNECT.
func dialProxy(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), proxyURL *url.URL, addr string, watch func(net.Conn)) (net.Conn, error) {
	if proxyURL.Scheme != "http" {
		return nil, fmt.Errorf("proxy scheme %q is not supported (only http)", proxyURL.Scheme)
	}
	proxyAddr := proxyURL.Host
	if proxyURL.Port() == "" {
		proxyAddr = net.JoinHostPort(proxyURL.Hostname(), "80")
	}
	nc, err := dial(ctx, "tcp", proxyAddr)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", proxyAddr, err)
	}
	watch(nc)
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: addr},
		Host:   addr,
		Header: http.Header{},
	}
	if user := proxyURL.User; user != nil {
		pass, _ := user.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(user.Username() + ":" + pass))
		req.Header.Set("Proxy-Authorization", "Basic "+cred)
	}
	if err := req.Write(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("proxy %s: %w", proxyAddr, err)
	}
	// Nothing follows the proxy's answer until the WebSocket request goes
	// through the tunnel, so this reader cannot swallow the server's bytes.
	br := bufio.NewReader(&io.LimitedReader{R: nc, N: maxResponseHeader})
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("proxy %s: reading CONNECT response: %w", proxyAddr, err)
	}
	if resp.StatusCode != http.StatusOK {
		nc.Close()
		return nil, fmt.Errorf("proxy %s refused CONNECT to %s: %s", proxyAddr, addr, resp.Status)
	}
	return nc, nil
}

// handshake sends the opening request and checks the response (section
// 4.1).
func handshake(nc net.Conn, u *url.URL, opts *DialOptions) (*Conn, *http.Response, error) {
	var keyBytes [16]byte
	if _, err := rand.Read(keyBytes[:]); err != nil {
		return nil, nil, err
	}
	key := base64.StdEncoding.EncodeToString(keyBytes[:])

	host := u.Host
	if h := opts.HTTPHeader.Get("Host"); h != "" {
		host = h
	}
	var b strings.Builder
	b.WriteString("GET ")
	b.WriteString(u.RequestURI())
	b.WriteString(" HTTP/1.1\r\nHost: ")
	b.WriteString(host)
	b.WriteString("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ")
	b.WriteString(key)
	b.WriteString("\r\nSec-WebSocket-Version: 13\r\n")
	if len(opts.Subprotocols) > 0 {
		b.WriteString("Sec-WebSocket-Protocol: ")
		b.WriteString(strings.Join(opts.Subprotocols, ", "))
		b.WriteString("\r\n")
	}
	if opts.Compression != nil {
		b.WriteString("Sec-WebSocket-Extensions: ")
		b.WriteString(opts.Compression.offer())
		b.WriteString("\r\n")
	}
	extra := opts.HTTPHeader.Clone()
	extra.Del("Host")
	if err := extra.Write(&b); err != nil {
		return nil, nil, err
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(nc, b.String()); err != nil {
		return nil, nil, fmt.Errorf("websocket: sending handshake: %w", err)
	}

	lr := &io.LimitedReader{R: nc, N: maxResponseHeader}
	br := bufio.NewReaderSize(lr, 4096)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: u})
	if err != nil {
		if lr.N <= 0 {
			return nil, nil, errors.New("websocket: handshake response headers exceed 64 KiB")
		}
		return nil, nil, fmt.Errorf("websocket: reading handshake response: %w", err)
	}
	deflate, err := checkResponse(resp, key, opts)
	if err != nil {
		if resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		return nil, resp, err
	}
	var early []byte
	if n := br.Buffered(); n > 0 {
		early, _ = br.Peek(n)
	}
	c := newConn(nc, connConfig{
		client:       true,
		subprotocol:  resp.Header.Get("Sec-WebSocket-Protocol"),
		deflate:      deflate,
		readLimit:    opts.ReadLimit,
		queueLimit:   opts.QueueLimit,
		pingInterval: opts.PingInterval,
		pongTimeout:  opts.PongTimeout,
		buffered:     early,
	})
	return c, resp, nil
}

// checkResponse validates the server's answer to the opening handshake.
func checkResponse(resp *http.Response, key string, opts *DialOptions) (*deflateState, error) {
	if err := checkResponseHeaders(resp, key, opts.Subprotocols); err != nil {
		return nil, err
	}
	ext := resp.Header.Values("Sec-WebSocket-Extensions")
	if len(ext) == 0 {
		return nil, nil
	}
	if opts.Compression == nil {
		return nil, fmt.Errorf("websocket: server chose extensions %q, none were offered", strings.Join(ext, ", "))
	}
	params, ok, err := checkDeflateResponse(resp.Header, opts.Compression)
	if err != nil || !ok {
		return nil, err
	}
	return newDeflateState(params, strings.Join(ext, ", "), opts.Compression, true), nil
}

// checkResponseHeaders checks the status and the headers of RFC 6455.
func checkResponseHeaders(resp *http.Response, key string, offered []string) error {
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("websocket: server answered %s, not 101 Switching Protocols", resp.Status)
	}
	if !hasToken(resp.Header, "Upgrade", "websocket") {
		return fmt.Errorf("websocket: server response lacks \"Upgrade: websocket\" (got %q)", resp.Header.Get("Upgrade"))
	}
	if !hasToken(resp.Header, "Connection", "upgrade") {
		return fmt.Errorf("websocket: server response lacks \"Connection: Upgrade\" (got %q)", resp.Header.Get("Connection"))
	}
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), acceptKey(key); got != want {
		return fmt.Errorf("websocket: server sent Sec-WebSocket-Accept %q, want %q", got, want)
	}
	if p := resp.Header.Values("Sec-WebSocket-Protocol"); len(p) > 0 {
		if len(p) > 1 || strings.Contains(p[0], ",") || !slices.Contains(offered, p[0]) {
			return fmt.Errorf("websocket: server chose subprotocol %q, which was not offered (offered %q)", strings.Join(p, ", "), offered)
		}
	}
	return nil
}
