package websocket

import (
	"net/http"
	"strings"
	"testing"
)

func TestAcceptDeflateOffers(t *testing.T) {
	tests := []struct {
		offer string
		opts  CompressionOptions
		want  string // "" when every offer is declined
	}{
		{"permessage-deflate", CompressionOptions{}, "permessage-deflate"},
		{"permessage-deflate; client_max_window_bits", CompressionOptions{}, "permessage-deflate"},
		{"permessage-deflate; client_max_window_bits", CompressionOptions{ClientMaxWindowBits: 10}, "permessage-deflate; client_max_window_bits=10"},
		{"permessage-deflate; client_max_window_bits=12", CompressionOptions{}, "permessage-deflate; client_max_window_bits=12"},
		{"permessage-deflate; client_max_window_bits=12", CompressionOptions{ClientMaxWindowBits: 9}, "permessage-deflate; client_max_window_bits=9"},
		{"permessage-deflate", CompressionOptions{ClientMaxWindowBits: 9}, "permessage-deflate"}, // a limit needs the client's consent
		{"permessage-deflate; server_max_window_bits=10", CompressionOptions{}, "permessage-deflate; server_max_window_bits=10"},
		{"permessage-deflate; server_max_window_bits=15", CompressionOptions{}, "permessage-deflate; server_max_window_bits=15"},
		{"permessage-deflate; server_max_window_bits=12", CompressionOptions{ServerMaxWindowBits: 9}, "permessage-deflate; server_max_window_bits=9"},
		{"permessage-deflate; server_no_context_takeover", CompressionOptions{}, "permessage-deflate; server_no_context_takeover"},
		{"permessage-deflate", CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}, "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"permessage-deflate; client_no_context_takeover", CompressionOptions{}, "permessage-deflate; client_no_context_takeover"},
		// Declined offers: the next acceptable one is taken.
		{"permessage-deflate; foo, permessage-deflate", CompressionOptions{}, "permessage-deflate"},
		{"permessage-deflate; server_no_context_takeover; server_no_context_takeover", CompressionOptions{}, ""},
		{"permessage-deflate; server_max_window_bits=7", CompressionOptions{}, ""},
		{"permessage-deflate; server_max_window_bits=16", CompressionOptions{}, ""},
		{"permessage-deflate; server_max_window_bits=010", CompressionOptions{}, ""},
		{"permessage-deflate; server_max_window_bits", CompressionOptions{}, ""},
		{"permessage-deflate; client_max_window_bits=x", CompressionOptions{}, ""},
		{"permessage-deflate; server_no_context_takeover=1", CompressionOptions{}, ""},
		{"permessage-deflate; server_max_window_bits=8, permessage-deflate; client_max_window_bits", CompressionOptions{}, "permessage-deflate; server_max_window_bits=8"},
		{`permessage-deflate; client_max_window_bits="11"`, CompressionOptions{}, "permessage-deflate; client_max_window_bits=11"},
		{"x-webkit-deflate-frame", CompressionOptions{}, ""},
		{"x-unknown, permessage-deflate", CompressionOptions{}, "permessage-deflate"},
	}
	for _, tt := range tests {
		h := http.Header{"Sec-Websocket-Extensions": {tt.offer}}
		_, got, ok := acceptDeflate(h, &tt.opts)
		if !ok {
			got = ""
		}
		if got != tt.want {
			t.Errorf("offer %q with %+v: answered %q, want %q", tt.offer, tt.opts, got, tt.want)
		}
	}
}

func TestCheckDeflateResponse(t *testing.T) {
	tests := []struct {
		answer  string
		opts    CompressionOptions
		wantErr string // "" when accepted
	}{
		{"permessage-deflate", CompressionOptions{}, ""},
		{"permessage-deflate; server_no_context_takeover; client_no_context_takeover", CompressionOptions{}, ""},
		{"permessage-deflate; server_max_window_bits=10", CompressionOptions{}, ""},
		{"permessage-deflate; client_max_window_bits=10", CompressionOptions{}, ""},
		{"permessage-deflate; client_max_window_bits=12", CompressionOptions{ClientMaxWindowBits: 10}, "above the 10 offered"},
		{"permessage-deflate; server_max_window_bits=12", CompressionOptions{ServerMaxWindowBits: 10}, "above the 10 offered"},
		{"permessage-deflate", CompressionOptions{ServerMaxWindowBits: 10}, "did not accept server_max_window_bits=10"},
		{"permessage-deflate", CompressionOptions{ServerNoContextTakeover: true}, "ignored the server_no_context_takeover"},
		{"permessage-deflate; client_max_window_bits", CompressionOptions{}, `client_max_window_bits=""`},
		{"permessage-deflate; server_max_window_bits=16", CompressionOptions{}, "want 8-15"},
		{"permessage-deflate; foo", CompressionOptions{}, `unknown permessage-deflate parameter "foo"`},
		{"permessage-deflate; client_no_context_takeover; client_no_context_takeover", CompressionOptions{}, "repeated"},
		{"permessage-deflate, permessage-deflate", CompressionOptions{}, "2 extensions"},
		{"x-other", CompressionOptions{}, `"x-other", which was not offered`},
	}
	for _, tt := range tests {
		h := http.Header{"Sec-Websocket-Extensions": {tt.answer}}
		_, ok, err := checkDeflateResponse(h, &tt.opts)
		switch {
		case tt.wantErr == "" && (err != nil || !ok):
			t.Errorf("answer %q: refused: %v", tt.answer, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("answer %q: error %v, want one containing %q", tt.answer, err, tt.wantErr)
		}
	}
}

func TestOffer(t *testing.T) {
	if got := (&CompressionOptions{}).offer(); got != "permessage-deflate; client_max_window_bits" {
		t.Errorf("default offer %q", got)
	}
	o := &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 11}
	if got := o.offer(); got != "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11" {
		t.Errorf("offer %q", got)
	}
}
