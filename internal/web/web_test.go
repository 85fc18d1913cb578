package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/duplexrt/duplex/internal/web"
)

// wsURL is how the page must open its WebSocket.
const wsURL = `new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/")`

func get(t *testing.T, method string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	web.ChatPage().ServeHTTP(rec, httptest.NewRequest(method, "/", nil))
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestChatPage(t *testing.T) {
	resp, page := get(t, http.MethodGet)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(page, wsURL) {
		t.Errorf("the page does not connect with %s", wsURL)
	}
	if !strings.Contains(page, `name="viewport"`) {
		t.Error("the page has no viewport meta tag, so phones would zoom it out")
	}
	// Self-contained: nothing is loaded from anywhere.
	for _, re := range []string{`\ssrc\s*=`, `\shref\s*=`, `@import`, `url\(`, `<link`, `<iframe`, `<img`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("the page loads an external resource: %q", m)
		}
	}
}

// TestChatPageCSP checks that the policy allows the page's one style and
// one script by their hashes, and that the page has no inline event
// handlers, which the policy would block.
func TestChatPageCSP(t *testing.T) {
	resp, page := get(t, http.MethodGet)
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	for _, tag := range []string{"style", "script"} {
		blocks := regexp.MustCompile(`(?s)<`+tag+`[^>]*>(.*?)</`+tag+`>`).FindAllStringSubmatch(page, -1)
		if len(blocks) != 1 {
			t.Fatalf("the page has %d <%s> elements, want 1", len(blocks), tag)
		}
		sum := sha256.Sum256([]byte(blocks[0][1]))
		want := tag + "-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if m := regexp.MustCompile(`(?i)\son[a-z]+\s*=`).FindString(page); m != "" {
		t.Errorf("inline event handler %q would be blocked by the policy", m)
	}
}

func TestChatPageMethods(t *testing.T) {
	resp, body := get(t, http.MethodHead)
	if resp.StatusCode != http.StatusOK || body != "" {
		t.Errorf("HEAD: status %d, %d body bytes", resp.StatusCode, len(body))
	}
	resp, _ = get(t, http.MethodPost)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
