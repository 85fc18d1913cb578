package socketio_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexrt/duplex/socketio"
)

func TestMiddlewareSeesHandshake(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	got := make(chan *socketio.Handshake, 1)
	srv.Use(func(s *socketio.Socket, next func(error)) {
		got <- s.Handshake()
		s.Set("user", "ann")
		next(nil)
	})
	rec := newRecorder()
	srv.OnConnection(func(s *socketio.Socket) {
		u, _ := s.Get("user")
		rec.add("connected %v %v", u, s.Connected())
	})
	c := dialWS(t, hs)
	c.connect("/", `{"token":"t1","n":2}`)
	h := <-got
	if h.Auth["token"] != "t1" || h.Auth["n"] != 2.0 {
		t.Errorf("Auth = %v", h.Auth)
	}
	if h.Query.Get("EIO") != "4" || h.Query.Get("transport") != "websocket" {
		t.Errorf("Query = %v", h.Query)
	}
	if h.Headers.Get("Upgrade") == "" || !strings.HasPrefix(h.URL, "/socket.io/?") {
		t.Errorf("Headers = %v, URL = %q", h.Headers, h.URL)
	}
	if h.Address != "127.0.0.1" || h.Secure || time.Since(h.Time) > time.Minute || h.Issued != h.Time.UnixMilli() {
		t.Errorf("handshake %+v", h)
	}
	rec.wait(t, "connected ann true")

	// Without a payload, Auth is an empty object.
	c2 := dialWS(t, hs)
	c2.connect("/", "")
	if h := <-got; h.Auth == nil || len(h.Auth) != 0 {
		t.Errorf("Auth without payload = %#v", h.Auth)
	}
}

func TestMiddlewareRefuses(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	var ran atomic.Int32
	srv.Use(func(s *socketio.Socket, next func(error)) {
		ran.Add(1)
		switch s.Handshake().Auth["token"] {
		case "good":
			next(nil)
		case "plain":
			next(errors.New("plain refusal"))
		default:
			next(&socketio.ConnectError{Message: "not authorized", Data: map[string]any{"code": 42}})
		}
	})
	srv.Use(func(s *socketio.Socket, next func(error)) {
		// Asynchronous, from another goroutine.
		go func() {
			time.Sleep(10 * time.Millisecond)
			next(nil)
		}()
	})
	connected := make(chan string, 3)
	srv.OnConnection(func(s *socketio.Socket) { connected <- s.ID() })

	c := dialWS(t, hs)
	c.send(`40{"token":"bad"}`)
	c.expect(`44{"message":"not authorized","data":{"code":42}}`)
	c.send(`40{"token":"plain"}`)
	c.expect(`44{"message":"plain refusal"}`)
	id := c.connect("/", `{"token":"good"}`)
	if got := <-connected; got != id {
		t.Errorf("connection handler got %s, client %s", got, id)
	}
	if ran.Load() != 3 {
		t.Errorf("first middleware ran %d times", ran.Load())
	}
}

func TestMiddlewareCallingNextTwice(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	srv.Use(func(s *socketio.Socket, next func(error)) {
		next(nil)
		next(errors.New("ignored"))
	})
	c := dialWS(t, hs)
	c.connect("/", "")
	c.expectNothing(100 * time.Millisecond)
}

type message struct {
	Text  string `json:"text"`
	Image []byte `json:"image,omitempty"`
}

func TestTypedHandlers(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	rec := newRecorder()
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("add", func(a, b int, ack socketio.AckFunc) {
			ack(a + b)
		})
		s.On("post", func(m message, tags []string) error {
			rec.add("post %q %v %v", m.Text, m.Image, tags)
			return nil
		})
		s.On("many", func(first string, rest ...any) {
			rec.add("many %s %v", first, rest)
		})
		s.On("raw", func(r socketio.Raw, ack func(...any) error) {
			rec.add("raw %s %v", r.JSON, ack("back", r))
		})
		s.On("noack", func(ack socketio.AckFunc) {
			rec.add("noack %v", ack("x"))
		})
		s.On("nothing", func() { rec.add("nothing") })
		s.On("event", func(ev *socketio.Event) error {
			rec.add("event %s %d %v", ev.Name, len(ev.Args), ev.Ack != nil)
			return nil
		})
		s.On("fails", func() error { return errors.New("boom") })
		s.On("any", func(args ...any) { rec.add("any %v", args) })
	})
	c := dialWS(t, hs)
	c.connect("/", "")

	c.send(`421["add",2,3]`)
	c.expect(`431[5]`)
	c.send(`451-["post",{"text":"hi","image":{"_placeholder":true,"num":0}},["a","b"]]`)
	c.sendBinary([]byte{7, 8})
	rec.wait(t, `post "hi" [7 8] [a b]`)
	c.send(`42["post",{"text":"missing tags"}]`)
	rec.wait(t, `post "missing tags" [] []`)
	c.send(`42["many","x",1,[true],null]`)
	rec.wait(t, `many x [1 [true] <nil>]`)
	c.send(`42["many"]`)
	rec.wait(t, `many  []`)
	c.send(`451-2["raw",{"b":{"_placeholder":true,"num":0}}]`)
	c.sendBinary([]byte("bin"))
	rec.wait(t, `raw {"b":{"_placeholder":true,"num":0}} <nil>`)
	c.expect(`461-2["back",{"b":{"_placeholder":true,"num":0}}]`)
	c.expectBinary([]byte("bin"))
	c.send(`42["noack"]`)
	rec.wait(t, `noack socketio: no acknowledgement to send`)
	c.send(`42["nothing",1,2]`)
	rec.wait(t, `nothing`)
	c.send(`429["event",1,2]`)
	rec.wait(t, `event event 2 true`)
	c.send(`42["fails"]`)
	c.send(`42["add","not a number",1]`) // logged, not called
	c.send(`42["any",1,"s",{"k":null}]`)
	rec.wait(t, `any [1 s map[k:<nil>]]`)
	c.send(`42[7,"numeric event name"]`) // no handler: ignored
	c.expectNothing(50 * time.Millisecond)
}

func TestOnPanicsOnBadHandlers(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	done := make(chan []string, 1)
	srv.OnConnection(func(s *socketio.Socket) {
		var bad []string
		for _, h := range []any{nil, 42, func() int { return 1 }, func(*socketio.Event, int) {}} {
			func() {
				defer func() {
					if r := recover(); r != nil {
						bad = append(bad, "panic")
					}
				}()
				s.On("x", h)
			}()
		}
		done <- bad
	})
	c := dialWS(t, hs)
	c.connect("/", "")
	if bad := <-done; len(bad) != 4 {
		t.Errorf("%d of 4 bad handlers refused", len(bad))
	}
}

func TestOnAnyAndOff(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	rec := newRecorder()
	srv.OnConnection(func(s *socketio.Socket) {
		s.OnAny(func(ev *socketio.Event) { rec.add("any %s %d", ev.Name, len(ev.Args)) })
		s.On("a", func() { rec.add("a") })
		s.On("a", func() { rec.add("a again") })
		s.On("off", func() {
			s.Off("a")
			s.OffAny()
			rec.add("off")
		})
	})
	c := dialWS(t, hs)
	c.connect("/", "")
	c.send(`42["a",1,2]`)
	rec.wait(t, "any a 2")
	rec.wait(t, "a")
	rec.wait(t, "a again")
	c.send(`42["off"]`)
	rec.wait(t, "any off 0")
	rec.wait(t, "off")
	c.send(`42["a"]`)
	c.send(`42["off"]`)
	rec.wait(t, "off")
}

func TestHandlersRunInOrder(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	rec := newRecorder()
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("n", func(i int) {
			if i == 0 {
				time.Sleep(20 * time.Millisecond) // the others wait
			}
			rec.add("%d", i)
		})
	})
	c := dialWS(t, hs)
	c.connect("/", "")
	for _, i := range []string{"0", "1", "2", "3"} {
		c.send(`42["n",` + i + `]`)
	}
	for _, i := range []string{"0", "1", "2", "3"} {
		rec.wait(t, i)
	}
}

func TestServerEmits(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	sock := make(chan *socketio.Socket, 1)
	srv.OnConnection(func(s *socketio.Socket) { sock <- s })
	c := dialWS(t, hs)
	c.connect("/", "")
	s := <-sock

	if err := s.Emit("hello", "world", 1.5, nil, map[string]int{"b": 2, "a": 1}); err != nil {
		t.Fatal(err)
	}
	c.expect(`42["hello","world",1.5,null,{"a":1,"b":2}]`)
	if err := s.Emit("file", message{Text: "t", Image: []byte{1, 2}}, []byte{3}); err != nil {
		t.Fatal(err)
	}
	c.expect(`452-["file",{"text":"t","image":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]`)
	c.expectBinary([]byte{1, 2})
	c.expectBinary([]byte{3})
	if err := s.Emit("disconnect"); !errors.Is(err, socketio.ErrReservedEvent) {
		t.Errorf("Emit(disconnect) = %v", err)
	}
	if err := s.Emit("bad", make(chan int)); err == nil {
		t.Error("Emit of a channel succeeded")
	}
}

func TestEmitWithAck(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	sock := make(chan *socketio.Socket, 1)
	srv.OnConnection(func(s *socketio.Socket) { sock <- s })
	c := dialWS(t, hs)
	c.connect("/", "")
	s := <-sock

	type result struct {
		args []socketio.Raw
		err  error
	}
	ask := func(ctx context.Context, args ...any) chan result {
		ch := make(chan result, 1)
		go func() {
			a, err := s.EmitWithAck(ctx, "question", args...)
			ch <- result{a, err}
		}()
		return ch
	}

	ch := ask(context.Background(), "q", []byte{9})
	c.expect(`451-0["question","q",{"_placeholder":true,"num":0}]`)
	c.expectBinary([]byte{9})
	c.send(`461-0["answer",{"_placeholder":true,"num":0}]`)
	c.sendBinary([]byte{1, 2})
	r := <-ch
	if r.err != nil || len(r.args) != 2 {
		t.Fatalf("EmitWithAck = %v, %v", r.args, r.err)
	}
	var answer string
	var bin []byte
	r.args[0].Decode(&answer)
	r.args[1].Decode(&bin)
	if answer != "answer" || string(bin) != "\x01\x02" {
		t.Errorf("answer %q %v", answer, bin)
	}

	// A deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ch = ask(ctx)
	c.expect(`421["question"]`)
	if r := <-ch; !errors.Is(r.err, context.DeadlineExceeded) {
		t.Errorf("no answer: %v", r.err)
	}
	c.send(`431["late"]`) // ignored

	// Disconnection.
	ch = ask(context.Background())
	c.expect(`422["question"]`)
	c.send("41")
	if r := <-ch; !errors.Is(r.err, socketio.ErrDisconnected) {
		t.Errorf("disconnected: %v", r.err)
	}
	if _, err := s.EmitWithAck(context.Background(), "question"); !errors.Is(err, socketio.ErrDisconnected) {
		t.Errorf("after disconnection: %v", err)
	}
	if err := s.Emit("x"); !errors.Is(err, socketio.ErrDisconnected) {
		t.Errorf("Emit after disconnection: %v", err)
	}
}

// A handler may wait for an acknowledgement of its own client: the answer
// is read while the handler waits.
func TestEmitWithAckInsideAHandler(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("start", func(ack socketio.AckFunc) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := s.EmitWithAck(ctx, "confirm")
			if err != nil {
				ack(err.Error())
				return
			}
			var ok bool
			res[0].Decode(&ok)
			ack(ok)
		})
	})
	c := dialWS(t, hs)
	c.connect("/", "")
	c.send(`425["start"]`)
	c.expect(`420["confirm"]`)
	c.send(`430[true]`)
	c.expect(`435[true]`)
}

func TestAcksPerNamespace(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	srv.Of("/a").OnConnection(func(s *socketio.Socket) {
		s.On("x", func(ack socketio.AckFunc) { ack("from a") })
	})
	c := dialWS(t, hs)
	c.connect("/a", "")
	c.send(`42/a,3["x"]`)
	c.expect(`43/a,3["from a"]`)
	// An event for a namespace the client has not joined closes it.
	c.send(`42/b,["x"]`)
	c.expectClosed()
}

func TestHandshakeOverPolling(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	got := make(chan *socketio.Handshake, 1)
	srv.OnConnection(func(s *socketio.Socket) { got <- s.Handshake() })
	req, _ := http.NewRequest("GET", hs.URL+"/socket.io/?EIO=4&transport=polling&x=1", nil)
	req.Header.Set("Origin", "http://example.com")
	req.Header.Set("X-Custom", "v")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var open struct{ Sid string }
	if err := json.Unmarshal(body[1:], &open); err != nil {
		t.Fatalf("handshake %q: %v", body, err)
	}
	c := &pollingClient{t: t, url: hs.URL + "/socket.io/?EIO=4&transport=polling&sid=" + open.Sid}
	c.post("40")
	if p := c.packets(1); !strings.HasPrefix(p[0], `40{"sid":"`) {
		t.Fatalf("CONNECT answered with %q", p)
	}
	h := <-got
	if !h.XDomain || h.Headers.Get("X-Custom") != "v" || h.Query.Get("x") != "1" || h.Query.Get("transport") != "polling" {
		t.Errorf("handshake %+v", h)
	}
}

// A handler may keep its events: they, their arguments and their Values
// stay theirs while later events come, and may be acknowledged later from
// another goroutine, once.
func TestEventKeptAfterHandler(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	kept := make(chan *socketio.Event, 10)
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("keep", func(ev *socketio.Event) { kept <- ev })
	})
	c := dialWS(t, hs)
	c.connect("/", "")
	const n = 5
	for i := range n {
		c.send(fmt.Sprintf(`42%d["keep","arg %d",{"i":%d}]`, i, i, i))
	}
	var evs []*socketio.Event
	for range n {
		evs = append(evs, <-kept)
	}
	for i, ev := range evs {
		first, second := ev.Values(), ev.Values()
		first[0] = "changed"
		if r, ok := second[0].(socketio.Raw); !ok || string(r.JSON) != fmt.Sprintf(`"arg %d"`, i) {
			t.Errorf("event %d: Values %v after another Values was changed", i, second)
		}
		var m struct{ I int }
		if err := ev.Args[1].Decode(&m); err != nil || m.I != i {
			t.Errorf("event %d: argument %s, %v", i, ev.Args[1].JSON, err)
		}
	}
	errs := make(chan error, 2*n)
	for _, ev := range evs {
		go func() {
			errs <- ev.Ack(ev.Values()...)
			errs <- ev.Ack("again")
		}()
	}
	var acked, refused int
	for range 2 * n {
		switch err := <-errs; {
		case err == nil:
			acked++
		case errors.Is(err, socketio.ErrNoAck):
			refused++
		default:
			t.Fatal(err)
		}
	}
	if acked != n || refused != n {
		t.Fatalf("%d acknowledgements sent and %d refused, want %d and %d", acked, refused, n, n)
	}
	got := map[string]bool{}
	for range n {
		got[c.read().data] = true
	}
	for i := range n {
		if want := fmt.Sprintf(`43%d["arg %d",{"i":%d}]`, i, i, i); !got[want] {
			t.Errorf("no %s in %v", want, got)
		}
	}
}

// An event name reaches the handlers as the client meant it: escaped, or
// a number.
func TestEventNames(t *testing.T) {
	srv, hs := newTestServer(t, nil)
	rec := newRecorder()
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("echo", func(ev *socketio.Event) { rec.add("echo %s", ev.Args[0].JSON) })
		s.On("ec\\ho", func(ev *socketio.Event) { rec.add("backslash %s", ev.Args[0].JSON) })
		s.On("7", func(ev *socketio.Event) { rec.add("seven %s", ev.Args[0].JSON) })
		s.OnAny(func(ev *socketio.Event) { rec.add("any %s", ev.Name) })
	})
	c := dialWS(t, hs)
	c.connect("/", "")
	c.send(`42["echo",1]`)
	rec.wait(t, "any echo")
	rec.wait(t, "echo 1")
	c.send(`42["ec\u0068o",2]`)
	rec.wait(t, "any echo")
	rec.wait(t, "echo 2")
	c.send(`42["ec\\ho",3]`)
	rec.wait(t, `any ec\ho`)
	rec.wait(t, "backslash 3")
	c.send(`42[7.0,4]`)
	rec.wait(t, "any 7")
	rec.wait(t, "seven 4")
}
