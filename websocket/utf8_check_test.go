package websocket

import (
	"testing"
	"unicode/utf8"
)

// TestUTF8AgreesWithStdlib splits inputs at every byte and compares the
// incremental validator with unicode/utf8.
func TestUTF8AgreesWithStdlib(t *testing.T) {
	inputs := []string{
		"", "hello", "κόσμε", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
		"\xf4\x90\x80\x80", "\xf0\x90\x80\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\x9f\xbf",
		"\xed\xa0\x80", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xf8\x88\x80\x80\x80", "\x80",
		"abcdefghijklmnop\xe2\x82\xacqrstuvwxyz0123456789", "\xe2\x82", "\xe2\x82\xac\xe2",
	}
	for _, s := range inputs {
		want := utf8.ValidString(s)
		if got := validUTF8([]byte(s)); got != want {
			t.Errorf("validUTF8(%q) = %v, want %v", s, got, want)
		}
		for cut := 0; cut <= len(s); cut++ {
			var v utf8Validator
			ok := v.write([]byte(s[:cut])) && v.write([]byte(s[cut:])) && v.complete()
			if ok != want {
				t.Errorf("split %q at %d: %v, want %v", s, cut, ok, want)
			}
		}
	}
}
