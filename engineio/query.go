package engineio

import (
	"net/url"
	"strings"
)

// queryValue returns the first value of key in rawQuery, as
// url.ParseQuery(rawQuery).Get(key) does, without making the map of every
// value: an Engine.IO request reads two or three parameters of its query.
func queryValue(rawQuery, key string) string {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue // url.ParseQuery skips these too
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil || k != key {
			continue
		}
		if v, err = url.QueryUnescape(v); err == nil {
			return v
		}
	}
	return ""
}
