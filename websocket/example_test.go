package websocket_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// An echo server: every message goes back with its type.
func ExampleAccept() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"echo"}})
		if err != nil {
			return // Accept answered the request with the reason
		}
		defer c.CloseNow()
		for {
			typ, p, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, p); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{Subprotocols: []string{"echo"}})
	if err != nil {
		log.Fatal(err)
	}
	c.Write(ctx, websocket.MessageText, []byte("hello"))
	typ, p, err := c.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Subprotocol(), typ, string(p))
	fmt.Println(c.Close(websocket.StatusNormalClosure, "done"))
	// Output:
	// echo text hello
	// <nil>
}

// A client that streams a message in fragments and reads the answer as a
// stream.
// ServeListener serves an http.Server, reading WebSocket handshakes itself.
func ExampleServeListener() {
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			for {
				typ, p, err := c.Read(r.Context())
				if err != nil {
					return
				}
				c.Write(r.Context(), typ, append([]byte("echo: "), p...))
			}
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- websocket.ServeListener(srv, ln) }()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
	if err != nil {
		log.Fatal(err)
	}
	c.Write(ctx, websocket.MessageText, []byte("hi"))
	_, p, err := c.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(p))
	fmt.Println(c.Close(websocket.StatusNormalClosure, "done"))
	srv.Shutdown(ctx)
	fmt.Println(<-served)
	// Output:
	// echo: hi
	// <nil>
	// http: Server closed
}

func ExampleConn_Writer() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		_, p, err := c.Read(r.Context())
		if err != nil {
			return
		}
		c.Write(r.Context(), websocket.MessageText, []byte(fmt.Sprintf("got %d bytes", len(p))))
		c.Close(websocket.StatusNormalClosure, "")
	}))
	defer srv.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	w, _ := c.Writer(ctx, websocket.MessageBinary)
	for i := 0; i < 10; i++ {
		w.Write(make([]byte, 1000)) // each Write is one fragment on the wire
	}
	w.Close()
	_, p, _ := c.Read(ctx)
	fmt.Println(string(p))
	_, _, err = c.Read(ctx)
	fmt.Println(websocket.CloseStatus(err))
	// Output:
	// got 10000 bytes
	// 1000 (normal closure)
}

// A server that answers every message with a batch of three, written
// together in one system call.
func ExampleConn_WriteMessages() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		_, p, err := c.Read(r.Context())
		if err != nil {
			return
		}
		c.WriteMessages(r.Context(), []websocket.Message{
			{Type: websocket.MessageText, Data: []byte("first")},
			{Type: websocket.MessageBinary, Data: p},
			{Type: websocket.MessageText, Data: []byte("last")},
		})
		c.Close(websocket.StatusNormalClosure, "")
	}))
	defer srv.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	c.Write(ctx, websocket.MessageText, []byte("hi"))
	for range 3 {
		typ, p, _ := c.Read(ctx)
		fmt.Println(typ, string(p))
	}
	// Output:
	// text first
	// binary hi
	// text last
}
