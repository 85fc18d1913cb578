package engineio

import (
	"net/url"
	"testing"
)

// FuzzQueryValue checks queryValue against url.ParseQuery.
func FuzzQueryValue(f *testing.F) {
	for _, q := range []string{
		"EIO=4&transport=websocket",
		"EIO=4&transport=polling&sid=abc-_DEF&t=Px1",
		"transport=web%73ocket&transport=polling",
		"tr%61nsport=polling",
		"a=1;transport=polling&transport=websocket",
		"transport=%zz&transport=polling",
		"sid=a+b%2Bc",
		"&&EIO&EIO=4=5",
	} {
		f.Add(q, "transport")
		f.Add(q, "EIO")
		f.Add(q, "sid")
	}
	f.Fuzz(func(t *testing.T, raw, key string) {
		values, _ := url.ParseQuery(raw)
		if got, want := queryValue(raw, key), values.Get(key); got != want {
			t.Fatalf("queryValue(%q, %q) = %q, want %q", raw, key, got, want)
		}
	})
}
