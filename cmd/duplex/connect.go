package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// connectTimeout bounds the opening handshake of duplex connect.
const connectTimeout = 15 * time.Second

// connectOptions is what duplex connect's arguments decide.
type connectOptions struct {
	url          string
	dial         websocket.DialOptions
	binary       bool          // send lines as binary messages
	binaryFormat string        // how received binary messages are printed: hex or base64
	grace        time.Duration // how long to wait for answers once input ends
}

// stringList is a flag that may be repeated.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ", ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func runConnect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return connect(ctx, args, os.Stdin, stdout, stderr)
}

// connect is duplex connect with its input and outputs: lines from stdin
// are sent, messages received go to stdout, everything else to stderr.
// It returns nil after a normal closure (1000) and an error saying how
// the connection ended otherwise.
//
// Reading stdin cannot be interrupted: if the connection ends while a
// read from stdin is waiting, that read stays until stdin has a line or
// ends. The process exits then anyway.
func connect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseConnectArgs(args, stderr)
	if err == errHelp {
		return nil
	}
	if err != nil {
		return err
	}
	if o.dial.TLSConfig != nil && o.dial.TLSConfig.InsecureSkipVerify {
		fmt.Fprintln(stderr, "warning: --insecure: the server's certificate is not verified; anyone on the path can read and change this connection")
	}
	dctx, cancel := context.WithTimeout(ctx, connectTimeout)
	c, resp, err := websocket.Dial(dctx, o.url, &o.dial)
	cancel()
	if err != nil {
		return dialError(err, resp)
	}
	defer c.CloseNow()
	var details []string
	if p := c.Subprotocol(); p != "" {
		details = append(details, fmt.Sprintf("subprotocol %q", p))
	}
	if e := c.Extensions(); e != "" {
		details = append(details, "extensions "+e)
	}
	if len(details) > 0 {
		fmt.Fprintf(stderr, "connected to %s (%s)\n", o.url, strings.Join(details, ", "))
	} else {
		fmt.Fprintf(stderr, "connected to %s\n", o.url)
	}
	return runConversation(ctx, c, stdin, stdout, stderr, o)
}

func parseConnectArgs(args []string, stderr io.Writer) (*connectOptions, error) {
	o := &connectOptions{}
	var headers, protocols stringList
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&headers, "H", "request header 'Name: value' (repeatable)")
	fs.Var(&protocols, "subprotocol", "subprotocol to offer, most preferred first (repeatable)")
	origin := fs.String("origin", "", "Origin header to send")
	insecure := fs.Bool("insecure", false, "do not verify the server's TLS certificate (unsafe)")
	ping := fs.Duration("ping", 0, "ping the server at this interval and disconnect if a pong does not come within it (0: never)")
	fs.BoolVar(&o.binary, "binary", false, "send each line as a binary message instead of text")
	fs.StringVar(&o.binaryFormat, "binary-format", "hex", "how to print binary messages received: hex or base64")
	fs.DurationVar(&o.grace, "grace", time.Second, "once input ends, how long to wait for messages before closing")
	compress := fs.Bool("compress", false, "offer permessage-deflate (RFC 7692)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: duplex connect [flags] ws://HOST[:PORT]/PATH")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Sends each line of standard input as a message and prints each message")
		fmt.Fprintln(stderr, "received on standard output. When input ends, waits --grace for answers,")
		fmt.Fprintln(stderr, "then closes with 1000. How the connection closed goes to standard error;")
		fmt.Fprintln(stderr, "the exit status is 0 after a normal closure (1000) and 1 otherwise.")
		fmt.Fprintln(stderr, "An interrupt (Ctrl-C) also closes with 1000.")
		fs.PrintDefaults()
	}
	// Flags may come before and after the URL.
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		if o.url != "" {
			return nil, usageError(fs, stderr, "more than one URL: %q and %q", o.url, fs.Arg(0))
		}
		o.url = fs.Arg(0)
		args = fs.Args()[1:]
	}
	if o.url == "" {
		return nil, usageError(fs, stderr, "missing URL")
	}
	if o.binaryFormat != "hex" && o.binaryFormat != "base64" {
		return nil, usageError(fs, stderr, "--binary-format %q: want hex or base64", o.binaryFormat)
	}
	if o.grace < 0 || *ping < 0 {
		return nil, usageError(fs, stderr, "durations must not be negative")
	}
	h := http.Header{}
	for _, line := range headers {
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, usageError(fs, stderr, "-H %q: want 'Name: value'", line)
		}
		h.Add(name, strings.TrimSpace(value))
	}
	if *origin != "" {
		h.Set("Origin", *origin)
	}
	o.dial = websocket.DialOptions{
		HTTPHeader:   h,
		Subprotocols: protocols,
		PingInterval: *ping,
	}
	if *compress {
		o.dial.Compression = &websocket.CompressionOptions{}
	}
	if *insecure {
		o.dial.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return o, nil
}

// errHelp reports that -h was asked for; the usage has been printed.
var errHelp = errors.New("help")

// usageError prints a problem with the arguments and the usage.
func usageError(fs *flag.FlagSet, stderr io.Writer, format string, args ...any) error {
	fmt.Fprintf(stderr, "duplex connect: "+format+"\n", args...)
	fs.Usage()
	return errUsage
}

// dialError adds the start of the server's answer to a failed handshake,
// which often says why (a refused origin, a wrong path).
func dialError(err error, resp *http.Response) error {
	if resp == nil || resp.Body == nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if line == "" || strings.Contains(err.Error(), line) {
		return err
	}
	return fmt.Errorf("%w (server said: %q)", err, line)
}
