package engineio

import (
	"crypto/tls"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// handshakeRequest is what a session keeps of its handshake request: not
// the request itself, whose header map, parsed URL and contexts would be
// most of an idle session's memory, but its strings, with the headers
// packed into one. net/http makes those strings anew for every request and
// never touches them after the handler, so they are kept without copies.
type handshakeRequest struct {
	method, uri, proto string
	host, remoteAddr   string
	header             string // "Name: value\n" per value, names sorted
	tls                *tls.ConnectionState
}

func keepRequest(r *http.Request) handshakeRequest {
	return handshakeRequest{
		method:     r.Method,
		uri:        r.RequestURI,
		proto:      r.Proto,
		host:       r.Host,
		remoteAddr: r.RemoteAddr,
		header:     packHeader(r.Header),
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
	n := 0
	for k, vs := range hdr {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 1
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, k := range slices.Sorted(maps.Keys(hdr)) {
		for _, v := range hdr[k] {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	return b.String()
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
