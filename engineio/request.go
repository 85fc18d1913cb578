package engineio

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// handshakeRequest is what a session keeps of its handshake request: not
// the request itself, whose header map, parsed URL and contexts would be
// most of an idle session's memory, but its strings, copied into one
// allocation with the headers packed as lines. The copy keeps nothing of
// the request's own memory alive: websocket.ServeListener's strings, for
// one, share the memory of the whole request head.
type handshakeRequest struct {
	method, uri, proto string
	host, remoteAddr   string
	header             string // "Name: value\n" per value, names sorted
	tls                *tls.ConnectionState
}

func keepRequest(r *http.Request) handshakeRequest {
	var b strings.Builder
	b.Grow(len(r.Method) + len(r.RequestURI) + len(r.Proto) + len(r.Host) + len(r.RemoteAddr) + packedSize(r.Header))
	for _, s := range []string{r.Method, r.RequestURI, r.Proto, r.Host, r.RemoteAddr} {
		b.WriteString(s)
	}
	packHeaderTo(&b, r.Header)
	all := b.String()
	next := func(n int) string {
		s := all[:n]
		all = all[n:]
		return s
	}
	return handshakeRequest{
		method:     next(len(r.Method)),
		uri:        next(len(r.RequestURI)),
		proto:      next(len(r.Proto)),
		host:       next(len(r.Host)),
		remoteAddr: next(len(r.RemoteAddr)),
		header:     all,
		tls:        r.TLS,
	}
}

// request rebuilds the request.
func (h *handshakeRequest) request() *http.Request {
	u, err := url.ParseRequestURI(h.uri)
	if err != nil {
		u = &url.URL{} // cannot happen: net/http parsed the same URI
	}
	major, minor, _ := http.ParseHTTPVersion(h.proto)
	return &http.Request{
		Method:     h.method,
		URL:        u,
		Proto:      h.proto,
		ProtoMajor: major,
		ProtoMinor: minor,
		Header:     unpackHeader(h.header),
		Body:       http.NoBody,
		Host:       h.host,
		RemoteAddr: h.remoteAddr,
		RequestURI: h.uri,
		TLS:        h.tls,
	}
}

// packHeader writes hdr as lines of "Name: value". net/http refuses
// names and values with a line break, so each line is one value.
func packHeader(hdr http.Header) string {
	var b strings.Builder
	b.Grow(packedSize(hdr))
	packHeaderTo(&b, hdr)
	return b.String()
}

// packedSize is the length of hdr packed.
func packedSize(hdr http.Header) int {
	n := 0
	for k, vs := range hdr {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 1
		}
	}
	return n
}

// packHeaderTo writes hdr packed to b.
func packHeaderTo(b *strings.Builder, hdr http.Header) {
	var names [32]string // on the stack for any usual request
	keys := names[:0]
	for k := range hdr {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range hdr[k] {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
}

// unpackHeader is the inverse of packHeader. The values are substrings
// of packed.
func unpackHeader(packed string) http.Header {
	hdr := make(http.Header, strings.Count(packed, "\n"))
	for line := range strings.Lines(packed) {
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ": ")
		hdr[k] = append(hdr[k], v)
	}
	return hdr
}
