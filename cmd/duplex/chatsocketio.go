package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/duplexrt/duplex/engineio"
	"github.com/duplexrt/duplex/internal/chat"
	"github.com/duplexrt/duplex/socketio"
	"github.com/duplexrt/duplex/websocket"
)

// The events of the chat over Socket.IO, in namespace "/".
const (
	// chatEvent carries chat lines both ways. A client sends
	// ("chat message", "nick: text"[, channel]) or
	// ("chat message", {channel, nick, text}); every client receives
	// ("chat message", line) for the default channel, and
	// ("chat message", line, channel) for a channel it joined.
	chatEvent = "chat message"

	// joinEvent and leaveEvent take a channel name.
	joinEvent  = "join"
	leaveEvent = "leave"
)

// Rooms of the Socket.IO side. A channel is the room channelPrefix +
// its name, so that no name a client gives reaches defaultRoom or the
// room of a socket (named by its id, which has no '#').
const (
	defaultRoom   = "chat"
	channelPrefix = "#"
)

// Limits of what Socket.IO clients may ask for.
const (
	maxChannelLen = 64 // bytes of a channel name
	maxChannels   = 16 // channels one socket may be in, the default aside
	maxNickLen    = 32 // characters of a nickname, as the page allows
)

// socketChat is the chat room over Socket.IO: it mounts a Socket.IO
// server and joins its clients to the room the hub's WebSocket clients
// are in.
//
// The default channel is two fan-outs, one per transport: the hub for
// the WebSocket clients, the Socket.IO room defaultRoom for the Socket.IO
// clients. broadcast queues each line on both, under mu, so that every
// client of either kind receives the lines in one order. Named channels
// are Socket.IO rooms only, since the page has no channels. Neither the
// hub nor the socketio package knows of the other: each applies its own
// documented policy to its slow clients (the hub's queue of chatQueueSize
// lines and close 1008; for Socket.IO, the Engine.IO send queue, bounded
// to the same number of messages, after which socketio disconnects the
// client and logs it).
type socketChat struct {
	// Immutable after newSocketChat.
	hub     *chat.Hub
	io      *socketio.Server
	log     *slog.Logger
	maxLine int // bytes of a line, as --max-message-size bounds WebSocket messages

	// mu orders the lines: each is queued for all its recipients, on
	// both transports, before the next one is.
	mu sync.Mutex
}

// newSocketChat returns the Socket.IO side of the chat of hub. accept is
// the WebSocket clients' handshake configuration, whose read limit,
// compression and origin rules the Socket.IO clients get too.
func newSocketChat(hub *chat.Hub, accept *websocket.AcceptOptions, log *slog.Logger) *socketChat {
	limit := accept.ReadLimit
	if limit <= 0 {
		limit = websocket.DefaultReadLimit
	}
	c := &socketChat{hub: hub, log: log, maxLine: int(limit)}
	c.io = socketio.NewServer(&socketio.Options{
		Engine: &engineio.Options{
			MaxHTTPBufferSize: limit,
			CORS:              socketIOCORS(accept),
			Compression:       accept.Compression,
			SendQueueMessages: chatQueueSize,
		},
		Logger: log,
	})
	c.io.OnConnection(c.onConnection)
	return c
}

// socketIOCORS returns the Engine.IO CORS configuration that allows the
// origins accept allows: none but the server's own (nil), any ("*"), or
// those whose host matches one of accept.OriginPatterns.
func socketIOCORS(accept *websocket.AcceptOptions) *engineio.CORS {
	switch {
	case accept.InsecureSkipVerify:
		return &engineio.CORS{Origins: []string{"*"}}
	case len(accept.OriginPatterns) > 0:
		return &engineio.CORS{AllowOriginFunc: originMatcher(accept.OriginPatterns)}
	}
	return nil
}

// originMatcher reports whether an Origin's host matches one of
// patterns, as websocket.AcceptOptions.OriginPatterns match: path.Match
// patterns against the host with its port, or without it for a pattern
// that has no port.
func originMatcher(patterns []string) func(origin string) bool {
	return func(origin string) bool {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" {
			return false
		}
		host := strings.ToLower(u.Host)
		hostname, _, splitErr := net.SplitHostPort(host)
		for _, p := range patterns {
			p = strings.ToLower(strings.TrimSpace(p))
			if ok, _ := path.Match(p, host); ok {
				return true
			}
			if splitErr == nil && !strings.Contains(p, ":") {
				if ok, _ := path.Match(p, hostname); ok {
					return true
				}
			}
		}
		return false
	}
}

func (c *socketChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.io.ServeHTTP(w, r)
}

// clients returns the number of Socket.IO clients in the chat.
func (c *socketChat) clients() int { return c.io.Of("/").Len() }

// broadcast sends a line of the default channel to every client of both
// transports.
func (c *socketChat) broadcast(line []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hub.Broadcast(line)
	if err := c.io.To(defaultRoom).Emit(chatEvent, string(line)); err != nil {
		c.log.Warn("socket.io broadcast failed", "err", err)
	}
}

// broadcastChannel sends a line to the Socket.IO clients in channel.
func (c *socketChat) broadcastChannel(channel, line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.io.To(channelPrefix+channel).Emit(chatEvent, line, channel); err != nil {
		c.log.Warn("socket.io broadcast failed", "channel", channel, "err", err)
	}
}

// shutdown disconnects every Socket.IO client with "server shutting
// down" and waits, until ctx ends, for their sessions to close.
func (c *socketChat) shutdown(ctx context.Context) error {
	return c.io.Shutdown(ctx)
}

// onConnection greets a socket and puts it in the default channel.
func (c *socketChat) onConnection(s *socketio.Socket) {
	req := s.Conn().Request()
	remote := req.RemoteAddr
	start := time.Now()
	// The socket's handlers run one at a time, so they share this count
	// without a lock.
	lines := 0
	s.On(chatEvent, func(ev *socketio.Event) {
		err := c.onChatMessage(s, ev)
		if err == nil {
			lines++
		}
		c.answer(remote, ev, err)
	})
	s.On(joinEvent, func(ev *socketio.Event) { c.answer(remote, ev, c.onJoin(s, ev)) })
	s.On(leaveEvent, func(ev *socketio.Event) { c.answer(remote, ev, c.onLeave(s, ev)) })
	s.OnDisconnect(func(reason string) {
		c.log.Info("socket.io connection closed", "remote", remote, "reason", reason,
			"messages", lines, "duration", time.Since(start).Round(time.Millisecond))
	})
	c.log.Info("socket.io connection open", "remote", remote,
		"transport", s.Conn().Transport(), "origin", req.Header.Get("Origin"))
	// The welcome is queued before the socket joins the room, so it comes
	// before any line. Both fail only once the socket is disconnected.
	if s.Emit(chatEvent, welcomeMessage) == nil {
		s.Join(defaultRoom)
	}
}

// answer acknowledges an event when the client asked for it: with null
// when it was carried out, with the error's text when it was refused.
func (c *socketChat) answer(remote string, ev *socketio.Event, err error) {
	if err != nil {
		c.log.Debug("socket.io event refused", "remote", remote, "event", ev.Name, "err", err)
	}
	if ev.Ack == nil {
		return
	}
	if err != nil {
		ev.Ack(err.Error())
	} else {
		ev.Ack(nil)
	}
}

// chatLine is the object form of a chat message.
type chatLine struct {
	Channel string `json:"channel"`
	Nick    string `json:"nick"`
	Text    string `json:"text"`
}

// onChatMessage relays a line to its channel.
func (c *socketChat) onChatMessage(s *socketio.Socket, ev *socketio.Event) error {
	line, channel, err := c.parseLine(ev.Args)
	if err != nil {
		return err
	}
	if channel == "" {
		c.broadcast([]byte(line))
		return nil
	}
	if err := checkChannel(channel); err != nil {
		return err
	}
	if !slices.Contains(s.Rooms(), channelPrefix+channel) {
		return fmt.Errorf("not in channel %q; join it first", channel)
	}
	c.broadcastChannel(channel, line)
	return nil
}

// parseLine returns the line a chat message carries, and its channel
// ("" for the default one): "nick: text" as it came, with the channel as
// an optional second argument, or {channel, nick, text}, made into
// "nick: text".
func (c *socketChat) parseLine(args []socketio.Raw) (line, channel string, err error) {
	if len(args) == 0 {
		return "", "", errors.New(`chat message needs "nick: text" or {nick, text}`)
	}
	first := strings.TrimSpace(string(args[0].JSON))
	switch {
	case strings.HasPrefix(first, `"`):
		if err := args[0].Decode(&line); err != nil {
			return "", "", err
		}
		if len(args) > 1 {
			if err := args[1].Decode(&channel); err != nil {
				return "", "", errors.New("the channel must be a string")
			}
		}
	case strings.HasPrefix(first, "{"):
		var m chatLine
		if err := args[0].Decode(&m); err != nil {
			return "", "", errors.New("channel, nick and text must be strings")
		}
		if err := checkNick(m.Nick); err != nil {
			return "", "", err
		}
		if strings.TrimSpace(m.Text) == "" {
			return "", "", errors.New("the text is empty")
		}
		line, channel = m.Nick+": "+m.Text, m.Channel
	default:
		return "", "", errors.New(`chat message needs "nick: text" or {nick, text}`)
	}
	switch {
	case strings.TrimSpace(line) == "":
		return "", "", errors.New("the message is empty")
	case len(line) > c.maxLine:
		return "", "", fmt.Errorf("the message is longer than %d bytes", c.maxLine)
	}
	return line, channel, nil
}

// onJoin puts the socket in a channel.
func (c *socketChat) onJoin(s *socketio.Socket, ev *socketio.Event) error {
	channel, err := channelArg(ev)
	if err != nil {
		return err
	}
	rooms := s.Rooms()
	if slices.Contains(rooms, channelPrefix+channel) {
		return nil
	}
	n := 0
	for _, r := range rooms {
		if strings.HasPrefix(r, channelPrefix) {
			n++
		}
	}
	if n >= maxChannels {
		return fmt.Errorf("already in %d channels", maxChannels)
	}
	return s.Join(channelPrefix + channel)
}

// onLeave takes the socket out of a channel.
func (c *socketChat) onLeave(s *socketio.Socket, ev *socketio.Event) error {
	channel, err := channelArg(ev)
	if err != nil {
		return err
	}
	return s.Leave(channelPrefix + channel)
}

// channelArg returns the channel name that a join or leave event carries.
func channelArg(ev *socketio.Event) (string, error) {
	var channel string
	if len(ev.Args) == 0 || !strings.HasPrefix(strings.TrimSpace(string(ev.Args[0].JSON)), `"`) {
		return "", fmt.Errorf("%s needs a channel name", ev.Name)
	}
	if err := ev.Args[0].Decode(&channel); err != nil {
		return "", err
	}
	return channel, checkChannel(channel)
}

// checkChannel refuses channel names that are empty, too long or hold
// control characters.
func checkChannel(name string) error {
	switch {
	case name == "":
		return errors.New("the channel name is empty")
	case len(name) > maxChannelLen:
		return fmt.Errorf("the channel name is longer than %d bytes", maxChannelLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("the channel name holds a control character")
	}
	return nil
}

// checkNick refuses nicknames that are empty, too long, or hold a colon
// or a control character: the page reads "nick: text" up to the first
// colon, as it makes it.
func checkNick(nick string) error {
	switch {
	case strings.TrimSpace(nick) == "":
		return errors.New("the nick is empty")
	case utf8.RuneCountInString(nick) > maxNickLen:
		return fmt.Errorf("the nick is longer than %d characters", maxNickLen)
	case strings.ContainsRune(nick, ':') || strings.IndexFunc(nick, unicode.IsControl) >= 0:
		return errors.New("the nick holds a colon or a control character")
	}
	return nil
}
