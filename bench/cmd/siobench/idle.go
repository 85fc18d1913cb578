package main

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/duplexrt/duplex/bench/internal/proc"
)

// idleConfig is the memory figure: the server's resident memory grows
// by how much per connected client, clients connected and then left
// idle.
type idleConfig struct {
	clients int
	before  time.Duration // the fresh server settles this long before the first reading
	settle  time.Duration // the connected clients idle this long before the second

	// snapshot, when set, sends the testee SIGUSR1 after the second
	// reading, while the clients are still connected: the Duplex testee
	// writes its heap profile then.
	snapshot bool
}

// idleClient accepts no event: an idle client is sent nothing but
// Engine.IO pings, which the read loop answers.
type idleClient struct{}

func (idleClient) event(c *client, p []byte) error {
	return fmt.Errorf("unexpected event %.100q", p)
}

func (idleClient) ack(c *client, p []byte) error {
	return fmt.Errorf("unexpected acknowledgement %.100q", p)
}

// runIdle measures the memory figure against a fresh testee t: its RSS
// before any client, and after cfg.clients clients have connected,
// joined the room and idled for cfg.settle.
func runIdle(ctx context.Context, t *proc.Testee, cfg idleConfig) (sample, error) {
	if err := sleep(ctx, cfg.before); err != nil {
		return sample{}, err
	}
	before, err := proc.RSSKiB(t.PID)
	if err != nil {
		return sample{}, err
	}
	mon := newMonitor()
	clients, err := connectAll(ctx, t.Addr, cfg.clients, connectConcurrency, mon, func(int) handler { return idleClient{} })
	if err != nil {
		return sample{}, err
	}
	defer closeAll(clients, mon)
	if err := sleep(ctx, cfg.settle); err != nil {
		return sample{}, err
	}
	if err := mon.Err(); err != nil {
		return sample{}, err
	}
	after, err := proc.RSSKiB(t.PID)
	if err != nil {
		return sample{}, err
	}
	if cfg.snapshot {
		syscall.Kill(t.PID, syscall.SIGUSR1)
		if err := sleep(ctx, 2*time.Second); err != nil {
			return sample{}, err
		}
	}
	return sample{
		Value:     float64(after-before) / float64(cfg.clients),
		RSSBefore: before,
		RSSAfter:  after,
		Messages:  int64(len(clients)),
	}, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
