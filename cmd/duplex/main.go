// Command duplex serves and exercises WebSocket endpoints.
//
// Usage:
//
//	duplex serve [flags]        serve the chat room: the page and its WebSocket at /
//	duplex connect [flags] URL  send lines from stdin to a WebSocket, print what comes back
//	duplex echo [flags]         serve a WebSocket echo, or run as a conformance client testee
//	duplex bench [flags] URL    drive a WebSocket server: echo, broadcast or idle load, verified
//
// Run "duplex COMMAND -h" for a command's flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is a subcommand: run gets the arguments after its name.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"serve", "serve the chat room: the page and its WebSocket at /", runServe},
	{"connect", "send lines from stdin to a WebSocket, print what comes back", runConnect},
	{"echo", "serve a WebSocket echo, or run as a conformance client testee", runEcho},
	{"bench", "drive a WebSocket server: echo, broadcast or idle load, verified", runBench},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			if err := c.run(ctx, args[1:], stdout, stderr); err != nil {
				if err == errUsage {
					return 2
				}
				fmt.Fprintf(stderr, "duplex %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, "duplex: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: duplex COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}
