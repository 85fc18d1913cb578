package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/duplexrt/duplex/internal/loadgen"
	"github.com/duplexrt/duplex/websocket"
)

// A client is one Socket.IO client of the load: an Engine.IO v4 session
// on the WebSocket transport from the start (no polling, no upgrade),
// connected to the main namespace. Its packets are parsed here, by hand,
// so that the load generator depends on neither testee's library above
// the WebSocket layer.
type client struct {
	id   int
	conn *websocket.Conn
	h    handler
	mon  *monitor

	done chan struct{} // closed when the read loop has ended
}

// A handler receives the packets of a client that the figure is about.
// It runs on the client's read loop, one packet at a time; an error it
// returns ends the client and fails the run.
type handler interface {
	// event gets an EVENT packet of the main namespace, "42[...]", whole.
	event(c *client, p []byte) error
	// ack gets an ACK packet of the main namespace, "43<id>[...]", whole.
	ack(c *client, p []byte) error
}

// sioPath is where both testees serve Socket.IO; EIO=4 is Engine.IO
// protocol v4, what socket.io v3 and v4 speak.
const sioPath = "/socket.io/?EIO=4&transport=websocket"

// readyAck is the acknowledgement id of the echo that connect sends
// before it returns; the figures number theirs from readyAck+1.
const readyAck = 0

// connect opens client id against the testee at addr (host:port) and
// returns it once it is connected to the main namespace and the server
// has run its connection handler: it sends one echo with an
// acknowledgement and waits for the answer, which both testees give
// only after the socket has joined the room. h gets every later packet.
func connect(ctx context.Context, addr string, id int, h handler, mon *monitor) (*client, error) {
	conn, _, err := websocket.Dial(ctx, "ws://"+addr+sioPath, &websocket.DialOptions{Proxy: websocket.NoProxy})
	if err != nil {
		return nil, err
	}
	c := &client{id: id, conn: conn, h: h, mon: mon, done: make(chan struct{})}
	if err := c.handshake(ctx); err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("client %d: %w", id, err)
	}
	go c.readLoop()
	return c, nil
}

// handshake runs the Engine.IO open, the Socket.IO CONNECT and the echo
// that shows the connection handler has run.
func (c *client) handshake(ctx context.Context) error {
	p, err := c.readText(ctx)
	if err != nil {
		return fmt.Errorf("waiting for the open packet: %w", err)
	}
	if !bytes.HasPrefix(p, []byte(`0{`)) || !bytes.Contains(p, []byte(`"sid":`)) {
		return fmt.Errorf("open packet %q, want 0{\"sid\":...}", p)
	}
	if err := c.send(ctx, []byte("40")); err != nil {
		return err
	}
	p, err = c.readText(ctx)
	if err != nil {
		return fmt.Errorf("waiting for CONNECT: %w", err)
	}
	if !bytes.HasPrefix(p, []byte(`40{"sid":`)) {
		return fmt.Errorf("CONNECT answered with %q, want 40{\"sid\":...}", p)
	}
	if err := c.send(ctx, []byte(`42`+strconv.Itoa(readyAck)+`["echo","ready"]`)); err != nil {
		return err
	}
	p, err = c.readText(ctx)
	if err != nil {
		return fmt.Errorf("waiting for the first acknowledgement: %w", err)
	}
	if want := `43` + strconv.Itoa(readyAck) + `["ready"]`; string(p) != want {
		return fmt.Errorf("first acknowledgement %q, want %q", p, want)
	}
	return nil
}

// readText reads the next message, which must be text, during the
// handshake.
func (c *client) readText(ctx context.Context) ([]byte, error) {
	for {
		typ, p, err := c.conn.Read(ctx)
		if err != nil {
			return nil, err
		}
		if typ != websocket.MessageText {
			return nil, errors.New("binary message")
		}
		if string(p) == "2" {
			// A ping can come at any time.
			if err := c.send(ctx, []byte("3")); err != nil {
				return nil, err
			}
			continue
		}
		return p, nil
	}
}

// send writes one Engine.IO packet.
func (c *client) send(ctx context.Context, p []byte) error {
	return c.conn.Write(ctx, websocket.MessageText, p)
}

// readLoop hands the client's packets to its handler until the
// connection ends or the handler fails.
func (c *client) readLoop() {
	defer close(c.done)
	ctx := context.Background()
	for {
		typ, p, err := c.conn.Read(ctx)
		if err == nil {
			err = c.packet(typ, p)
		}
		if err != nil {
			c.mon.ended(c, err)
			c.conn.CloseNow()
			return
		}
	}
}

// packet dispatches one received message.
func (c *client) packet(typ websocket.MessageType, p []byte) error {
	if typ != websocket.MessageText || len(p) == 0 {
		return errors.New("a binary or empty message")
	}
	switch {
	case len(p) == 1 && p[0] == '2': // Engine.IO ping
		return c.send(context.Background(), []byte("3"))
	case len(p) >= 2 && p[0] == '4' && p[1] == '2':
		return c.h.event(c, p)
	case len(p) >= 2 && p[0] == '4' && p[1] == '3':
		return c.h.ack(c, p)
	}
	return fmt.Errorf("unexpected packet %.80q", p)
}

// connectAll opens n clients with conc handshakes at a time, each with
// the handler newHandler gives it, after checking that addr is a
// loopback address: the load is never aimed at another machine. On
// failure it closes those opened.
func connectAll(ctx context.Context, addr string, n, conc int, mon *monitor, newHandler func(id int) handler) ([]*client, error) {
	if err := loadgen.IsLoopbackURL(ctx, "ws://"+addr+"/"); err != nil {
		return nil, err
	}
	clients := make([]*client, n)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	ids := make(chan int)
	for range min(conc, n) {
		wg.Go(func() {
			for id := range ids {
				cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				c, err := connect(cctx, addr, id, newHandler(id), mon)
				cancel()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				clients[id] = c
				mu.Unlock()
			}
		})
	}
	for id := range n {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		ids <- id
	}
	close(ids)
	wg.Wait()
	if firstErr != nil {
		closeAll(clients, mon)
		return nil, firstErr
	}
	return clients, nil
}

// closeAll closes every client that is not nil, telling mon that their
// ends are expected.
func closeAll(clients []*client, mon *monitor) {
	mon.closing.Store(true)
	for _, c := range clients {
		if c != nil {
			c.conn.CloseNow()
		}
	}
	for _, c := range clients {
		if c != nil {
			<-c.done
		}
	}
}
