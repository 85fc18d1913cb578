package websocket

import (
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"
)

// keyGUID is the GUID that section 1.3 appends to Sec-WebSocket-Key.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptKey computes Sec-WebSocket-Accept for a Sec-WebSocket-Key.
func acceptKey(key string) string {
	var b [28]byte
	return string(appendAcceptKey(b[:0], key))
}

// appendAcceptKey appends Sec-WebSocket-Accept for key to dst.
func appendAcceptKey(dst []byte, key string) []byte {
	var b [24 + len(keyGUID)]byte // room for a valid key
	sum := sha1.Sum(append(append(b[:0], key...), keyGUID...))
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// validKey reports whether key is base64 of 16 bytes (section 4.1).
func validKey(key string) bool {
	if len(key) != 24 {
		return false
	}
	var b [18]byte
	n, err := base64.StdEncoding.Decode(b[:], []byte(key))
	return err == nil && n == 16
}

// headerTokens returns the comma-separated tokens of every h[name]
// value, trimmed of spaces.
func headerTokens(h http.Header, name string) []string {
	var tokens []string
	for _, v := range h[http.CanonicalHeaderKey(name)] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tokens = append(tokens, t)
			}
		}
	}
	return tokens
}

// hasToken reports whether a comma list in h[name] holds token, compared
// without regard to case.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h[http.CanonicalHeaderKey(name)] {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
