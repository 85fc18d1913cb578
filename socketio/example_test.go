package socketio_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/duplexrt/duplex/socketio"
	"github.com/duplexrt/duplex/websocket"
)

// A chat server: messages go to everyone in the room of the sender.
func Example() {
	io := socketio.NewServer(nil)
	io.OnConnection(func(s *socketio.Socket) {
		s.Join("lobby")
		s.On("chat message", func(text string) {
			io.To("lobby").Emit("chat message", s.ID(), text)
		})
		s.OnDisconnect(func(reason string) {
			log.Printf("%s left: %s", s.ID(), reason)
		})
	})
	http.Handle("/socket.io/", io)
	// http.ListenAndServe(":3000", nil)
}

// Handlers take the arguments in Go types, binary values as []byte, and
// answer acknowledgements with an AckFunc.
func ExampleSocket_On() {
	type upload struct {
		Name string `json:"name"`
		Data []byte `json:"data"` // a Buffer or an ArrayBuffer on the client
	}
	io := socketio.NewServer(nil)
	io.OnConnection(func(s *socketio.Socket) {
		// client: socket.emit("upload", {name: "a.png", data: buffer}, (n) => ...)
		s.On("upload", func(u upload, ack socketio.AckFunc) {
			ack(len(u.Data))
		})
		// Any event, undecoded, sent back as it came.
		s.OnAny(func(ev *socketio.Event) {
			s.Emit("echo:"+ev.Name, ev.Values()...)
		})
	})
}

// A middleware refuses clients without the right token; the client's
// connect_error handler gets the message and the data.
func ExampleNamespace_Use() {
	io := socketio.NewServer(nil)
	admin := io.Of("/admin")
	admin.Use(func(s *socketio.Socket, next func(error)) {
		if s.Handshake().Auth["token"] != "secret" {
			next(&socketio.ConnectError{Message: "not authorized", Data: map[string]any{"retry": false}})
			return
		}
		s.Set("role", "admin")
		next(nil)
	})
}

// Waiting for the client's acknowledgement, with a deadline.
func ExampleSocket_EmitWithAck() {
	io := socketio.NewServer(nil)
	io.OnConnection(func(s *socketio.Socket) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		args, err := s.EmitWithAck(ctx, "are you there?")
		if err != nil {
			s.Disconnect(true)
			return
		}
		var answer string
		if len(args) > 0 {
			args[0].Decode(&answer)
		}
		fmt.Println("client said", answer)
	})
}

// One answer per client of a room, within a time limit.
func ExampleBroadcastOperator_EmitWithAck() {
	io := socketio.NewServer(nil)
	answers, err := io.Of("/").To("voters").Timeout(10*time.Second).EmitWithAck(context.Background(), "vote")
	if errors.Is(err, context.DeadlineExceeded) {
		fmt.Println("some did not vote")
	}
	for _, a := range answers {
		var choice string
		a.Decode(&choice)
		fmt.Println(choice)
	}
}

// Namespaces made on demand, for the names a regular expression matches.
func ExampleServer_OfRegexp() {
	io := socketio.NewServer(&socketio.Options{CleanupEmptyChildNamespaces: true})
	workspaces := io.OfRegexp(regexpMust(`^/workspace-\d+$`))
	workspaces.OnConnection(func(s *socketio.Socket) {
		// Broadcast within the client's own workspace.
		s.Namespace().Emit("joined", s.ID())
	})
}

// Shutdown disconnects every client with "server shutting down"; the
// clients reconnect to the next server.
func ExampleServer_Shutdown() {
	io := socketio.NewServer(nil)
	srv := &http.Server{Addr: ":3000", Handler: io}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	io.Shutdown(ctx)
	srv.Shutdown(ctx)
}

// A packet's payload with a binary value: the JSON refers to the
// attachment, which travels as a message of its own.
func ExamplePacket_SetData() {
	p := socketio.Packet{Type: socketio.PacketEvent, Namespace: "/chat"}
	p.SetData([]any{"file", map[string]any{"name": "a.bin", "data": []byte{1, 2, 3}}})
	msgs, _ := p.Encode()
	fmt.Printf("%s\n%v\n", msgs[0], msgs[1])
	// Output:
	// 51-/chat,["file",{"data":{"_placeholder":true,"num":0},"name":"a.bin"}]
	// [1 2 3]
}

// The Decoder puts a binary packet back together from its messages.
func ExampleDecoder() {
	var d socketio.Decoder
	d.Decode([]byte(`51-42["upload",{"_placeholder":true,"num":0}]`), false)
	p, _ := d.Decode([]byte{0xca, 0xfe}, true)
	var args []any
	p.DecodeData(&args)
	fmt.Println(p.Type, p.ID, args)
	// Output: EVENT 42 [upload [202 254]]
}

// What goes over the wire, seen from a client that speaks the protocol by
// hand over a WebSocket.
func Example_wire() {
	io := socketio.NewServer(nil)
	io.OnConnection(func(s *socketio.Socket) {
		s.On("hello", func(name string, ack socketio.AckFunc) {
			ack("hi " + name)
		})
	})
	ts := httptest.NewServer(io)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	defer io.Shutdown(ctx)

	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/?EIO=4&transport=websocket", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.CloseNow()
	read := func() string {
		_, p, err := conn.Read(ctx)
		if err != nil {
			log.Fatal(err)
		}
		return string(p)
	}
	read()                                                               // the Engine.IO open packet: 0{"sid":...}
	conn.Write(ctx, websocket.MessageText, []byte("40"))                 // CONNECT to "/"
	fmt.Println(read()[:10])                                             // 40{"sid":"...
	conn.Write(ctx, websocket.MessageText, []byte(`421["hello","ann"]`)) // EVENT with ack id 1
	fmt.Println(read())
	// Output:
	// 40{"sid":"
	// 431["hi ann"]
}
