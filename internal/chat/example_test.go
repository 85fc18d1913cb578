package chat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/duplexrt/duplex/internal/chat"
)

// printConn is a connection that keeps what it receives.
type printConn struct {
	mu  sync.Mutex
	log []string
}

func (p *printConn) Send(ctx context.Context, msg []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, string(msg))
	return nil
}

func (p *printConn) Close(code int, reason string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, fmt.Sprintf("closed %d %s", code, reason))
	return nil
}

func Example() {
	hub := chat.NewHub(&chat.Options{Welcome: []byte("Welcome to the chat room.")})
	alice, bob := &printConn{}, &printConn{}
	hub.Join("alice", alice)
	hub.Join("bob", bob)

	// A transport passes every message it reads to Broadcast.
	hub.Broadcast([]byte("alice: hello"))
	hub.Broadcast([]byte("bob: hi alice"))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hub.Shutdown(ctx)

	fmt.Println("alice:", strings.Join(alice.log, " | "))
	fmt.Println("bob:  ", strings.Join(bob.log, " | "))
	// Output:
	// alice: Welcome to the chat room. | alice: hello | bob: hi alice | closed 1001 server shutting down
	// bob:   Welcome to the chat room. | alice: hello | bob: hi alice | closed 1001 server shutting down
}
