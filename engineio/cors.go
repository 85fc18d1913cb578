package engineio

import (
	"net/http"
	"slices"
	"strings"
)

// cors is the prepared form of a CORS configuration. Immutable.
type cors struct {
	any         bool     // "*" is among the origins
	origins     []string // the other origins, without a trailing slash
	originFunc  func(string) bool
	credentials bool
	methods     string // Access-Control-Allow-Methods
	headers     string // Access-Control-Allow-Headers; "" reflects the request's
}

func newCORS(o *CORS) *cors {
	c := &cors{
		originFunc:  o.AllowOriginFunc,
		credentials: o.Credentials,
		methods:     "GET,POST",
		headers:     strings.Join(o.Headers, ","),
	}
	for _, origin := range o.Origins {
		if origin = trimOrigin(origin); origin == "*" {
			c.any = true
		} else if origin != "" {
			c.origins = append(c.origins, origin)
		}
	}
	if len(o.Methods) > 0 {
		c.methods = strings.Join(o.Methods, ",")
	}
	return c
}

// allows reports whether pages of origin (an Origin header) may use the
// server.
func (c *cors) allows(origin string) bool {
	if origin == "" {
		return false
	}
	if c.any || slices.ContainsFunc(c.origins, func(o string) bool { return strings.EqualFold(o, origin) }) {
		return true
	}
	return c.originFunc != nil && c.originFunc(origin)
}

// setHeaders adds the CORS headers of a response to r (Fetch standard,
// "CORS protocol"): the allowed origin, and whether credentials may go
// with it. An origin that is not allowed gets none, and the browser
// keeps the response from the page.
func (c *cors) setHeaders(h http.Header, r *http.Request) {
	origin := r.Header.Get("Origin")
	h.Add("Vary", "Origin")
	if !c.allows(origin) {
		return
	}
	if c.any && !c.credentials {
		// A wildcard may not go with credentials; then the origin is
		// echoed instead.
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if c.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// preflight answers an OPTIONS request; setHeaders has run.
func (c *cors) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if c.allows(r.Header.Get("Origin")) {
		h.Set("Access-Control-Allow-Methods", c.methods)
		if c.headers != "" {
			h.Set("Access-Control-Allow-Headers", c.headers)
		} else if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" {
			h.Set("Access-Control-Allow-Headers", asked)
			h.Add("Vary", "Access-Control-Request-Headers")
		}
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
}
