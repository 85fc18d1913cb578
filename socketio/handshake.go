package socketio

import (
	"net"
	"net/http"
	"net/url"
	"time"
)

// A Handshake describes how a socket connected: the request that opened
// its Engine.IO session, and the CONNECT packet. Socket.Handshake makes
// it when first called (the middlewares may call it) from what the
// session kept; its Time is when the client asked to join the namespace,
// and it does not change after.
type Handshake struct {
	Headers http.Header    `json:"headers"` // the request headers
	Query   url.Values     `json:"query"`   // the query of the request URL
	Address string         `json:"address"` // the client's IP address, from the connection
	Time    time.Time      `json:"time"`    // when the client asked to join
	Issued  int64          `json:"issued"`  // Time in milliseconds since the Unix epoch
	URL     string         `json:"url"`     // the request URI, path and query
	XDomain bool           `json:"xdomain"` // whether the request had an Origin header
	Secure  bool           `json:"secure"`  // whether the request came over TLS
	Auth    map[string]any `json:"auth"`    // the CONNECT payload; empty, not nil, when the client sent none
}

func newHandshake(r *http.Request, auth map[string]any, asked time.Time) *Handshake {
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if auth == nil {
		auth = map[string]any{}
	}
	return &Handshake{
		Headers: r.Header,
		Query:   r.URL.Query(),
		Address: addr,
		Time:    asked,
		Issued:  asked.UnixMilli(),
		URL:     r.URL.RequestURI(),
		XDomain: r.Header.Get("Origin") != "",
		Secure:  r.TLS != nil,
		Auth:    auth,
	}
}
