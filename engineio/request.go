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
	all  string    // method, URI, proto, host, remote address, packed header
	ends [5]uint32 // where each but the header ends in all
	tls  *tls.ConnectionState
}

func keepRequest(r *http.Request) handshakeRequest {
	parts := [...]string{r.Method, r.RequestURI, r.Proto, r.Host, r.RemoteAddr}
	var h handshakeRequest
	var b strings.Builder
	n := packedSize(r.Header)
	for _, p := range parts {
		n += len(p)
	}
	b.Grow(n)
	for i, p := range parts {
		b.WriteString(p)
		h.ends[i] = uint32(b.Len())
	}
	packHeaderTo(&b, r.Header)
	h.all, h.tls = b.String(), r.TLS
	return h
}

// part returns the i-th string of the request, in the order of all.
func (h *handshakeRequest) part(i int) string {
	start := uint32(0)
	if i > 0 {
		start = h.ends[i-1]
	}
	return h.all[start:h.ends[i]]
}

// request rebuilds the request.
func (h *handshakeRequest) request() *http.Request {
	method, uri, proto, host, remoteAddr := h.part(0), h.part(1), h.part(2), h.part(3), h.part(4)
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		u = &url.URL{} // cannot happen: net/http parsed the same URI
	}
	major, minor, _ := http.ParseHTTPVersion(proto)
	return &http.Request{
		Method:     method,
		URL:        u,
		Proto:      proto,
		ProtoMajor: major,
		ProtoMinor: minor,
		Header:     unpackHeader(h.all[h.ends[4]:]),
		Body:       http.NoBody,
		Host:       host,
		RemoteAddr: remoteAddr,
		RequestURI: uri,
		TLS:        h.tls,
	}
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

// packHeaderTo writes hdr to b as lines of "Name: value". net/http
// refuses names and values with a line break, so each line is one value.
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

// unpackHeader is the inverse of packHeaderTo. The values are substrings
// of packed.
func unpackHeader(packed string) http.Header {
	hdr := make(http.Header, strings.Count(packed, "\n"))
	for line := range strings.Lines(packed) {
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ": ")
		hdr[k] = append(hdr[k], v)
	}
	return hdr
}
