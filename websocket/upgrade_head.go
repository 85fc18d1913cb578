package websocket

import (
	"bytes"
	"net/http"
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
// The request, written to r, has no context nor remote address yet. It
// holds nothing of head, which the caller may reuse: a first pass checks
// the fields and measures what they need, a second copies the target,
// the values and the field names that are not common ones into a single
// string, and builds the header map, with all its values in one backing
// array, as net/textproto does.
func parseUpgradeHead(head []byte, r *http.Request) (ok bool) {
	line, rest, _ := bytes.Cut(head, crlf)
	target, ok := bytes.CutPrefix(line, []byte("GET "))
	if ok {
		target, ok = bytes.CutSuffix(target, []byte(" HTTP/1.1"))
	}
	if !ok || len(target) == 0 || target[0] != '/' || !printableASCII(target) {
		return false
	}

	var (
		size        = len(target) // of the string that holds the request's text
		fields      int           // but Host
		hostValue   []byte
		hosts       int
		upgrade     bool
		noCache     bool // the first Pragma is "no-cache"
		pragma      bool
		cacheHeader bool // Cache-Control is there
		kb          [64]byte
	)
	for b := rest; ; {
		name, value, next, ok := nextField(b)
		if !ok {
			return false
		}
		if name == nil {
			if len(next) != 0 {
				return false // headEnd ended the head earlier than this
			}
			break
		}
		b = next
		key := appendCanonicalKey(kb[:0], name)
		switch string(key) {
		case "Host":
			hosts++
			hostValue = value
			size += len(value)
			continue
		case "Upgrade":
			upgrade = upgrade || hasTokenIn(value, "websocket")
		case "Content-Length", "Transfer-Encoding", "Expect":
			return false
		case "Pragma":
			if !pragma {
				pragma, noCache = true, string(value) == "no-cache"
			}
		case "Cache-Control":
			cacheHeader = true
		}
		fields++
		if commonKey(key) == "" {
			size += len(key)
		}
		if commonValue(value) == "" {
			size += len(value)
		}
	}
	if hosts != 1 || !validHost(hostValue) || !upgrade {
		return false
	}
	noCache = noCache && !cacheHeader
	if noCache {
		fields++ // Cache-Control
	}

	var text strings.Builder
	text.Grow(size)
	text.Write(target)
	requestURI := text.String()
	u, err := requestURL(requestURI)
	if err != nil {
		return false
	}
	// copyText returns b, copied into text. text does not grow past the
	// room made for it, and the strings it returned would stay valid if
	// it did.
	copyText := func(b []byte) string {
		n := text.Len()
		text.Write(b)
		return text.String()[n:]
	}
	host := copyText(hostValue)
	values := make([]string, 0, fields)
	h := make(http.Header, fields)
	for b := rest; ; {
		name, value, next, _ := nextField(b)
		if name == nil {
			break
		}
		b = next
		key := appendCanonicalKey(kb[:0], name)
		if string(key) == "Host" {
			continue
		}
		v := commonValue(value)
		if v == "" {
			v = copyText(value)
		}
		vs, seen := h[string(key)]
		k := commonKey(key)
		if k == "" {
			k = copyText(key) // again for a repeated name: the first pass counted it
		}
		if seen {
			h[k] = append(vs, v)
			continue
		}
		values = append(values, v)
		h[k] = values[len(values)-1 : len(values) : len(values)]
	}
	// As net/http: "Pragma: no-cache" stands for "Cache-Control: no-cache"
	// when the latter is absent (RFC 7234, section 5.4).
	if noCache {
		values = append(values, "no-cache")
		h["Cache-Control"] = values[len(values)-1 : len(values) : len(values)]
	}
	*r = http.Request{
		Method:     http.MethodGet,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Body:       http.NoBody,
		Host:       host,
		Close:      hasToken(h, "Connection", "close"),
		RequestURI: requestURI,
	}
	return true
}

var crlf = []byte("\r\n")

// nextField cuts the first line off b, the rest of a request head, and
// returns its field's name and value, trimmed. At the empty line that
// ends the head, name is nil and rest is what follows the line. ok is
// false for a line that parseUpgradeHead leaves to net/http.
func nextField(b []byte) (name, value, rest []byte, ok bool) {
	line, rest, ok := bytes.Cut(b, crlf)
	if !ok {
		return nil, nil, nil, false
	}
	if len(line) == 0 {
		return nil, nil, rest, true
	}
	name, value, ok = bytes.Cut(line, []byte(":"))
	if !ok || !isToken(name) {
		return nil, nil, nil, false // also a folded line, which starts with a space
	}
	for len(value) > 0 && (value[0] == ' ' || value[0] == '\t') {
		value = value[1:]
	}
	for len(value) > 0 && (value[len(value)-1] == ' ' || value[len(value)-1] == '\t') {
		value = value[:len(value)-1]
	}
	// A bare CR or LF fails here, as any control character.
	if !validFieldValue(value) {
		return nil, nil, nil, false
	}
	return name, value, rest, true
}

// requestURL is url.ParseRequestURI(target) for a target in origin form,
// made directly when its path holds only characters that need no
// escaping, the path of almost every request.
func requestURL(target string) (*url.URL, error) {
	path, query, hasQuery := strings.Cut(target, "?")
	for i := 0; i < len(path); i++ {
		if c := path[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("$&+,-./:;=@_~", c) >= 0) {
			return url.ParseRequestURI(target)
		}
	}
	// As url.ParseRequestURI, a lone '?' at the end is kept as ForceQuery.
	return &url.URL{Path: path, RawQuery: query, ForceQuery: hasQuery && query == ""}, nil
}

// appendCanonicalKey appends to dst the canonical form of name, a token,
// as textproto.CanonicalMIMEHeaderKey makes it: the first letter and
// every letter after a hyphen in upper case, the others in lower case.
func appendCanonicalKey(dst, name []byte) []byte {
	upper := true
	for _, c := range name {
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst
}

// commonKey returns key, a canonical field name, as a constant when it is
// one that handshakes carry, and "" otherwise, so that the common names
// take no room in the request's text.
func commonKey(key []byte) string {
	switch string(key) {
	case "Upgrade":
		return "Upgrade"
	case "Connection":
		return "Connection"
	case "Sec-Websocket-Key":
		return "Sec-Websocket-Key"
	case "Sec-Websocket-Version":
		return "Sec-Websocket-Version"
	case "Sec-Websocket-Extensions":
		return "Sec-Websocket-Extensions"
	case "Sec-Websocket-Protocol":
		return "Sec-Websocket-Protocol"
	case "Origin":
		return "Origin"
	case "User-Agent":
		return "User-Agent"
	case "Pragma":
		return "Pragma"
	case "Cache-Control":
		return "Cache-Control"
	case "Accept":
		return "Accept"
	case "Accept-Encoding":
		return "Accept-Encoding"
	case "Accept-Language":
		return "Accept-Language"
	case "Cookie":
		return "Cookie"
	case "Authorization":
		return "Authorization"
	case "Referer":
		return "Referer"
	case "Sec-Fetch-Dest":
		return "Sec-Fetch-Dest"
	case "Sec-Fetch-Mode":
		return "Sec-Fetch-Mode"
	case "Sec-Fetch-Site":
		return "Sec-Fetch-Site"
	case "X-Forwarded-For":
		return "X-Forwarded-For"
	case "X-Forwarded-Proto":
		return "X-Forwarded-Proto"
	case "X-Real-Ip":
		return "X-Real-Ip"
	}
	return ""
}

// commonValue returns value as a constant when it is one that nearly
// every handshake carries, and "" otherwise.
func commonValue(value []byte) string {
	switch string(value) {
	case "websocket":
		return "websocket"
	case "Upgrade":
		return "Upgrade"
	case "upgrade":
		return "upgrade"
	case "keep-alive, Upgrade":
		return "keep-alive, Upgrade"
	case "13":
		return "13"
	case "no-cache":
		return "no-cache"
	case "permessage-deflate; client_max_window_bits":
		return "permessage-deflate; client_max_window_bits"
	case "permessage-deflate":
		return "permessage-deflate"
	case "gzip, deflate, br, zstd":
		return "gzip, deflate, br, zstd"
	case "gzip, deflate, br":
		return "gzip, deflate, br"
	case "empty":
		return "empty"
	case "same-origin":
		return "same-origin"
	}
	return ""
}

// hasTokenIn reports whether the comma list v holds token, compared
// without regard to case, as hasToken does for a header.
func hasTokenIn(v []byte, token string) bool {
	for t := range bytes.SplitSeq(v, []byte(",")) {
		if bytes.EqualFold(bytes.TrimSpace(t), []byte(token)) {
			return true
		}
	}
	return false
}

// printableASCII reports whether s holds only visible ASCII characters,
// which a request target in origin form is made of.
func printableASCII(s []byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// validFieldValue reports whether v, trimmed, is a valid field value: no
// control character but horizontal tab (RFC 9110, section 5.5).
func validFieldValue(v []byte) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validHost reports whether h is made of the characters a Host may hold
// (RFC 3986, section 3.2.2): unreserved, sub-delims, ':', '[', ']', '%'.
func validHost(h []byte) bool {
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
