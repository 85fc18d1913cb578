// Package web holds the pages the duplex command serves, embedded in the
// binary so that it needs no files next to it.
//
// The chat page (chat.html) is one self-contained document: its style and
// script are inline and it loads nothing else. It connects to the
// WebSocket at "/" of the host that served it, with wss:// when it was
// served over https.
package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"strconv"
)

//go:embed chat.html
var chatHTML []byte

// chatCSP allows exactly the page's inline style and script (by hash) and
// WebSocket connections; nothing else loads, and no site may frame it.
var chatCSP = "default-src 'none'" +
	"; style-src " + inlineHash(chatHTML, "<style>", "</style>") +
	"; script-src " + inlineHash(chatHTML, "<script>", "</script>") +
	"; connect-src 'self' ws: wss:" +
	"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// inlineHash returns the CSP source expression for the content between
// the first open and close tags of page. It panics when the page lacks
// them: the page is embedded, so that is a build mistake.
func inlineHash(page []byte, open, close string) string {
	_, rest, ok := bytes.Cut(page, []byte(open))
	if !ok {
		panic("web: embedded page has no " + open)
	}
	body, _, ok := bytes.Cut(rest, []byte(close))
	if !ok {
		panic("web: embedded page has no " + close)
	}
	sum := sha256.Sum256(body)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// ChatPage returns a handler that serves the chat page to GET and HEAD
// requests, with a Content-Security-Policy that allows nothing but the
// page's own style and script and its WebSocket, and refuses other
// methods with 405.
func ChatPage() http.Handler {
	return http.HandlerFunc(serveChat)
}

func serveChat(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", chatCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(chatHTML)))
	if r.Method == http.MethodGet {
		w.Write(chatHTML)
	}
}
