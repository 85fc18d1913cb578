package websocket

import (
	"bytes"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// headEnd returns the length of the request head at the start of b,
// through the empty line that ends it, or 0 when b holds no whole head.
// A head whose lines end in a bare LF is found too, so that it is not
// waited for; parseUpgradeHead then leaves it to net/http.
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return 0
		}
		i += j + 1
		switch {
		case i < len(b) && b[i] == '\n':
			return i + 1
		case i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n':
			return i + 2
		}
	}
}

// parseUpgradeHead reads head, a whole request head as headEnd delimits
// it, into the request net/http would make of it, when the request is
// one that Serve answers itself: a GET in origin form over HTTP/1.1 that
// asks to upgrade to WebSocket, every line ended by CRLF, fields that are neither
// folded nor malformed, exactly one valid Host, and no body framing
// (Content-Length, Transfer-Encoding) nor Expect. For anything else ok
// is false, and the connection goes to net/http, which knows every other
// form and answers every malformed one.
//
// The request, written to r, has no context nor remote address yet. Its
// field values are substrings of one copy of head.
func parseUpgradeHead(head []byte, r *http.Request) (ok bool) {
	s := string(head)
	line, rest, _ := strings.Cut(s, "\r\n")
	target, ok := strings.CutPrefix(line, "GET ")
	if ok {
		target, ok = strings.CutSuffix(target, " HTTP/1.1")
	}
	if !ok || target == "" || target[0] != '/' || !printableASCII(target) {
		return false
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return false
	}

	// One backing array holds every value, as net/textproto does.
	n := strings.Count(rest, "\r\n") - 1
	if n < 1 {
		return false // no Host
	}
	values := make([]string, 0, n)
	h := make(http.Header, n)
	for {
		line, rest, ok = strings.Cut(rest, "\r\n")
		if !ok || strings.ContainsAny(line, "\r\n") {
			return false
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !isToken(name) {
			return false // also a folded line, which starts with a space
		}
		value = strings.Trim(value, " \t")
		if !validFieldValue(value) {
			return false
		}
		key := canonicalKey(name)
		if vs, seen := h[key]; seen {
			h[key] = append(vs, value)
			continue
		}
		values = append(values, value)
		h[key] = values[len(values)-1 : len(values) : len(values)]
	}
	if rest != "" {
		return false // headEnd ended the head earlier than this
	}

	hosts := h["Host"]
	if len(hosts) != 1 || !validHost(hosts[0]) || !hasToken(h, "Upgrade", "websocket") ||
		h["Content-Length"] != nil || h["Transfer-Encoding"] != nil || h["Expect"] != nil {
		return false
	}
	delete(h, "Host")
	// As net/http: "Pragma: no-cache" stands for "Cache-Control: no-cache"
	// when the latter is absent (RFC 7234, section 5.4).
	if p := h["Pragma"]; len(p) > 0 && p[0] == "no-cache" && h["Cache-Control"] == nil {
		h["Cache-Control"] = []string{"no-cache"}
	}
	*r = http.Request{
		Method:     http.MethodGet,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Body:       http.NoBody,
		Host:       hosts[0],
		Close:      hasToken(h, "Connection", "close"),
		RequestURI: target,
	}
	return true
}

// webSocketKeys are the canonical forms of the handshake's own header
// names, which clients spell otherwise ("Sec-WebSocket-Key"), so that
// canonicalKey finds them without making a new string.
var webSocketKeys = [...]string{"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol"}

// canonicalKey is textproto.CanonicalMIMEHeaderKey(name), without a copy
// for the handshake's header names.
func canonicalKey(name string) string {
	for _, k := range webSocketKeys {
		if len(name) == len(k) && strings.EqualFold(name, k) {
			return k
		}
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// printableASCII reports whether s holds only visible ASCII characters,
// which a request target in origin form is made of.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// validFieldValue reports whether v, trimmed, is a valid field value: no
// control character but horizontal tab (RFC 9110, section 5.5).
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validHost reports whether h is made of the characters a Host may hold
// (RFC 3986, section 3.2.2): unreserved, sub-delims, ':', '[', ']', '%'.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		if strings.IndexByte("-._~!$&'()*+,;=:[]%", c) < 0 {
			return false
		}
	}
	return true
}
