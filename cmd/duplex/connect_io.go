package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

const (
	// maxInputLine is the longest line duplex connect sends.
	maxInputLine = 16 << 20

	// sendTimeout bounds sending one line.
	sendTimeout = 30 * time.Second

	// printTimeout bounds waiting for the last message to be printed
	// once the connection is closed.
	printTimeout = 5 * time.Second
)

// runConversation runs duplex connect on an open connection: one goroutine
// prints what arrives, another sends what stdin gives, and this one
// decides when and how the connection ends.
func runConversation(ctx context.Context, c *websocket.Conn, stdin io.Reader, stdout, stderr io.Writer, o *connectOptions) error {
	received := make(chan error, 1)
	go func() { received <- printMessages(c, stdout, o.binaryFormat) }()
	sent := make(chan error, 1)
	go func() { sent <- sendLines(c, stdin, o.binary) }()

	var grace <-chan time.Time
	for {
		select {
		case err := <-received:
			return serverClosed(err, stderr)
		case err := <-sent:
			sent = nil
			if err != nil {
				closeNormally(c, received, io.Discard)
				return err
			}
			grace = time.After(o.grace)
		case <-grace:
			return closeNormally(c, received, stderr)
		case <-ctx.Done():
			return closeNormally(c, received, stderr)
		}
	}
}

// errOutput reports that stdout could not be written.
var errOutput = errors.New("writing output")

// printMessages prints every message until the connection ends, and
// returns the error that ended it.
func printMessages(c *websocket.Conn, stdout io.Writer, binaryFormat string) error {
	w := bufio.NewWriter(stdout)
	var line []byte
	for {
		typ, p, err := c.Read(context.Background())
		if err != nil {
			return err
		}
		line = line[:0]
		switch {
		case typ == websocket.MessageText:
			line = append(line, p...)
		case binaryFormat == "base64":
			line = base64.StdEncoding.AppendEncode(line, p)
		default:
			line = hex.AppendEncode(line, p)
		}
		line = append(line, '\n')
		w.Write(line)
		if err := w.Flush(); err != nil {
			c.CloseNow()
			return fmt.Errorf("%w: %w", errOutput, err)
		}
	}
}

// sendLines sends each line of stdin (without its line ending) as a
// message, and returns nil at the end of stdin.
func sendLines(c *websocket.Conn, stdin io.Reader, binary bool) error {
	typ := websocket.MessageText
	if binary {
		typ = websocket.MessageBinary
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 4096), maxInputLine)
	for sc.Scan() {
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		err := c.Write(ctx, typ, sc.Bytes())
		cancel()
		if err != nil {
			return fmt.Errorf("sending: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading input: %w", err)
	}
	return nil
}

// closeNormally runs the closing handshake with 1000 and waits for the
// printing goroutine to end.
func closeNormally(c *websocket.Conn, received <-chan error, stderr io.Writer) error {
	err := c.Close(websocket.StatusNormalClosure, "")
	// Close has closed the connection, so the read has ended; only a
	// stalled stdout could hold the printing goroutine.
	select {
	case <-received:
	case <-time.After(printTimeout):
	}
	if err != nil {
		return fmt.Errorf("closing: %w", err)
	}
	fmt.Fprintf(stderr, "closed: %v\n", websocket.StatusNormalClosure)
	return nil
}

// serverClosed reports how the connection ended when the server (or the
// network) ended it: nil for a normal closure, an error otherwise.
func serverClosed(err error, stderr io.Writer) error {
	if errors.Is(err, errOutput) {
		return err
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return fmt.Errorf("connection lost: %w", err)
	}
	if ce.Local {
		return fmt.Errorf("closed the connection with %v: %s", ce.Code, ce.Reason)
	}
	msg := "closed by server: " + ce.Code.String()
	if ce.Reason != "" {
		msg += fmt.Sprintf(" %q", ce.Reason)
	}
	if ce.Code == websocket.StatusNormalClosure {
		fmt.Fprintln(stderr, msg)
		return nil
	}
	return errors.New(msg)
}
