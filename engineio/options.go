package engineio

import (
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// Transport names, as the "transport" query parameter carries them.
const (
	transportPolling   = "polling"
	transportWebSocket = "websocket"
)

// Options configures a Server. A nil *Options means the defaults, which
// are the reference server's.
type Options struct {
	// PingInterval is how often the server pings each client; 0 means
	// 25 s. The client answers with a pong (spec: "Heartbeat").
	PingInterval time.Duration

	// PingTimeout is how long the server waits for the pong before it
	// closes the session with "ping timeout"; 0 means 20 s.
	PingTimeout time.Duration

	// UpgradeTimeout bounds an upgrade from polling to WebSocket: a
	// probed WebSocket that has not completed the upgrade by then is
	// closed and the session stays on polling. 0 means 10 s.
	UpgradeTimeout time.Duration

	// MaxHTTPBufferSize is the largest payload a client may send, in
	// bytes: a POST body on polling, a message on WebSocket. It is the
	// handshake's maxPayload. Larger ones close the session. 0 means
	// 1,000,000.
	MaxHTTPBufferSize int64

	// DisableUpgrades keeps polling sessions on polling: the handshake's
	// "upgrades" is [] and upgrade requests are refused.
	DisableUpgrades bool

	// Transports lists the transports clients may use, among "polling"
	// and "websocket"; nil means both. Unknown names are ignored.
	Transports []string

	// CORS, when not nil, answers the browsers' cross-origin checks on
	// polling requests, and lets the origins it allows open WebSocket
	// connections. When nil, polling responses carry no CORS headers and
	// WebSocket connections are accepted only from pages of the same
	// host (see package websocket's origin check).
	CORS *CORS

	// AllowRequest, when not nil, is asked about every handshake and
	// upgrade request; a non-nil error refuses it with 403 and
	// {"code":4,"message":err.Error()}.
	AllowRequest func(r *http.Request) error

	// Cookie, when not nil, is a template for a cookie set on the
	// handshake response, with the session id as its value (for sticky
	// load balancing). An empty Name means "io", an empty Path "/".
	Cookie *http.Cookie

	// Compression, when not nil, enables permessage-deflate on the
	// WebSocket transport for clients that offer it.
	Compression *websocket.CompressionOptions

	// OnSession is called once for each new session, before any of its
	// messages is delivered and before the client gets the handshake:
	// set the session's callbacks there.
	OnSession func(s *Session)

	// SendQueueMessages and SendQueueBytes bound what a session holds for
	// a client that has not taken it yet; past either, Send returns
	// ErrQueueFull. 0 means 1024 messages and 4 MiB. A message larger
	// than SendQueueBytes is accepted into an empty queue.
	SendQueueMessages int
	SendQueueBytes    int64
}

// CORS configures Cross-Origin Resource Sharing for the polling transport,
// the way the npm cors module does for the reference server. Browsers
// need it when the page comes from another origin than the server.
type CORS struct {
	// Origins lists the allowed origins, such as "https://example.com";
	// "*" allows any.
	Origins []string

	// AllowOriginFunc, when not nil, allows further origins.
	AllowOriginFunc func(origin string) bool

	// Credentials lets pages send cookies and read responses with them
	// (Access-Control-Allow-Credentials: true).
	Credentials bool

	// Methods are the methods allowed by a preflight; nil means GET and
	// POST.
	Methods []string

	// Headers are the request headers allowed by a preflight; nil means
	// the ones the preflight asks for.
	Headers []string
}

// Defaults, as the reference server has them.
const (
	defaultPingInterval      = 25 * time.Second
	defaultPingTimeout       = 20 * time.Second
	defaultUpgradeTimeout    = 10 * time.Second
	defaultMaxHTTPBufferSize = 1_000_000
	defaultQueueMessages     = 1024
	defaultQueueBytes        = 4 << 20
)

// config is the Server's copy of the options with defaults filled in.
// It is immutable after NewServer.
type config struct {
	pingInterval   time.Duration
	pingTimeout    time.Duration
	upgradeTimeout time.Duration
	maxPayload     int64
	polling        bool
	websocket      bool
	upgrades       bool // polling sessions may upgrade to WebSocket
	cors           *cors
	allowRequest   func(*http.Request) error
	cookie         *http.Cookie
	compression    *websocket.CompressionOptions
	onSession      func(*Session)
	queueMessages  int
	queueBytes     int64

	// stall bounds every wait on a client: a pending GET, the writing of
	// a response or WebSocket batch, the reading of a POST body, a
	// forced close waiting for the next GET. It is PingInterval +
	// PingTimeout, after which the client itself gives the session up
	// (spec: "Heartbeat").
	stall time.Duration

	// The options of websocket.Accept, made once: for a request whose
	// origin CORS allows, and for any other.
	acceptCORS, acceptOwn websocket.AcceptOptions
}

func newConfig(o *Options) *config {
	if o == nil {
		o = &Options{}
	}
	c := &config{
		pingInterval:   positive(o.PingInterval, defaultPingInterval),
		pingTimeout:    positive(o.PingTimeout, defaultPingTimeout),
		upgradeTimeout: positive(o.UpgradeTimeout, defaultUpgradeTimeout),
		maxPayload:     positive(o.MaxHTTPBufferSize, defaultMaxHTTPBufferSize),
		allowRequest:   o.AllowRequest,
		compression:    o.Compression,
		onSession:      o.OnSession,
		queueMessages:  min(positive(o.SendQueueMessages, defaultQueueMessages), math.MaxInt32),
		queueBytes:     positive(o.SendQueueBytes, defaultQueueBytes),
	}
	c.stall = c.pingInterval + c.pingTimeout
	c.polling = o.Transports == nil || slices.Contains(o.Transports, transportPolling)
	c.websocket = o.Transports == nil || slices.Contains(o.Transports, transportWebSocket)
	if !c.polling && !c.websocket {
		c.polling, c.websocket = true, true
	}
	c.upgrades = c.polling && c.websocket && !o.DisableUpgrades
	if o.CORS != nil {
		c.cors = newCORS(o.CORS)
	}
	if o.Cookie != nil {
		ck := *o.Cookie
		if ck.Name == "" {
			ck.Name = "io"
		}
		if ck.Path == "" {
			ck.Path = "/"
		}
		c.cookie = &ck
	}
	c.acceptOwn = websocket.AcceptOptions{ReadLimit: c.maxPayload, Compression: c.compression}
	c.acceptCORS = c.acceptOwn
	c.acceptCORS.InsecureSkipVerify = true
	return c
}

func positive[T int | int64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// allows reports whether transport names a transport clients may use.
func (c *config) allows(transport string) bool {
	switch transport {
	case transportPolling:
		return c.polling
	case transportWebSocket:
		return c.websocket
	}
	return false
}

// upgradesFrom returns the handshake's "upgrades" for a session that
// starts on transport.
func (c *config) upgradesFrom(transport string) []string {
	if transport == transportPolling && c.upgrades {
		return []string{transportWebSocket}
	}
	return []string{}
}

// trimOrigin normalizes a configured origin for comparison.
func trimOrigin(o string) string {
	return strings.TrimSuffix(strings.TrimSpace(o), "/")
}
