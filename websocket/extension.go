package websocket

import (
	"net/http"
	"strings"
)

// extension is one element of a Sec-WebSocket-Extensions header
// (RFC 6455, section 9.1): a name and its parameters in order.
type extension struct {
	name   string
	params []extParam
}

type extParam struct {
	name     string
	value    string
	hasValue bool
}

// parseExtensions parses every Sec-WebSocket-Extensions value of h. An
// element that does not follow the grammar is returned with ok false, so
// that the caller can decline it without losing the others.
func parseExtensions(h http.Header) (exts []extension, ok []bool) {
	for _, v := range h["Sec-Websocket-Extensions"] {
		for _, elem := range splitOutsideQuotes(v, ',') {
			if strings.TrimSpace(elem) == "" {
				continue
			}
			e, valid := parseExtension(elem)
			exts = append(exts, e)
			ok = append(ok, valid)
		}
	}
	return exts, ok
}

func parseExtension(s string) (extension, bool) {
	parts := splitOutsideQuotes(s, ';')
	e := extension{name: strings.TrimSpace(parts[0])}
	if !isToken(e.name) {
		return e, false
	}
	for _, p := range parts[1:] {
		name, value, hasValue := strings.Cut(p, "=")
		name = strings.TrimSpace(name)
		if !isToken(name) {
			return e, false
		}
		value = strings.TrimSpace(value)
		if hasValue {
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if !isToken(value) {
				return e, false
			}
		}
		e.params = append(e.params, extParam{name: name, value: value, hasValue: hasValue})
	}
	return e, true
}

// splitOutsideQuotes splits s at sep where sep is not inside a quoted
// string.
func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	quoted := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case c == '\\' && quoted:
			i++
		case c == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// isToken reports whether s is an HTTP token (RFC 7230, section 3.2.6).
func isToken[S ~string | ~[]byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChars[s[i]] {
			return false
		}
	}
	return true
}

// tokenChars tells the characters of a token: visible ASCII but
// separators.
var tokenChars = func() (t [256]bool) {
	for c := '!'; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`()<>@,;:\"/[]?={}`, c)
	}
	return t
}()
