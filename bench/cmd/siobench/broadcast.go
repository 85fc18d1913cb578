package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexrt/duplex/bench/internal/proc"
)

// broadcastConfig is the broadcast figure: clients connected, of which
// senders emit "broadcast", each with at most window broadcasts in
// flight; a broadcast is in flight until every client has received it
// back, so that no client ever has more than senders × window
// broadcasts queued for it and the queues stay bounded however fast the
// server is.
type broadcastConfig struct {
	clients, senders, window int
	payload                  int           // bytes of the string argument
	warmup, measure          time.Duration // load before measuring, and measuring
	drain                    time.Duration // bound on the last broadcasts' arrival
}

// broadcastRun is the state of one broadcast measurement.
type broadcastRun struct {
	cfg       broadcastConfig
	mon       *monitor
	senders   []*sender
	delivered atomic.Int64 // broadcast-back events received and verified
	completed atomic.Int64 // broadcasts received by every client
}

// A sender emits broadcasts numbered from 0 and counts the receipts of
// those in flight.
type sender struct {
	run     *broadcastRun
	idx     int
	c       *client
	credits chan struct{}  // one per broadcast that may be sent
	counts  []atomic.Int32 // receipts of broadcast seq at seq % window
	sent    int64          // broadcasts sent; owned by the send loop
}

// broadcastClient verifies what one client receives: the broadcasts of
// each sender, in the order sent, whole.
type broadcastClient struct {
	run  *broadcastRun
	next []int64 // sequence number expected next from each sender
	want []byte  // scratch for the expected payload
}

const broadcastPrefix = `42["broadcast-back","`

func (b *broadcastClient) event(c *client, p []byte) error {
	r := b.run
	if len(p) != len(broadcastPrefix)+r.cfg.payload+2 || !bytes.HasPrefix(p, []byte(broadcastPrefix)) || !bytes.HasSuffix(p, []byte(`"]`)) {
		return fmt.Errorf("unexpected event %.100q", p)
	}
	body := p[len(broadcastPrefix) : len(p)-2]
	src, seq, ok := payloadFields(body, 'b')
	if !ok || src >= len(r.senders) {
		return fmt.Errorf("broadcast payload %q does not parse", body)
	}
	if seq != b.next[src] {
		return fmt.Errorf("broadcast %d of sender %d arrived when %d was expected: lost or reordered", seq, src, b.next[src])
	}
	b.want = appendPayload(b.want[:0], 'b', src, seq, r.cfg.payload)
	if !bytes.Equal(body, b.want) {
		return fmt.Errorf("broadcast %d of sender %d damaged: %q", seq, src, body)
	}
	b.next[src]++
	r.delivered.Add(1)
	r.senders[src].received(seq)
	return nil
}

func (b *broadcastClient) ack(c *client, p []byte) error {
	return fmt.Errorf("unexpected acknowledgement %.100q", p)
}

// received counts a receipt of broadcast seq. Each client receives a
// sender's broadcasts in order, so they complete in order, and slot
// seq % window is free again before broadcast seq+window is sent.
func (s *sender) received(seq int64) {
	slot := &s.counts[seq%int64(len(s.counts))]
	if slot.Add(1) == int32(s.run.cfg.clients) {
		slot.Store(0)
		s.run.completed.Add(1)
		s.credits <- struct{}{}
	}
}

// loop sends broadcasts as credits come back, until stop is closed.
func (s *sender) loop(stop <-chan struct{}) error {
	msg := make([]byte, 0, 64+s.run.cfg.payload)
	for {
		select {
		case <-stop:
			return nil
		case <-s.credits:
		}
		select {
		case <-stop:
			s.credits <- struct{}{}
			return nil
		default:
		}
		msg = append(msg[:0], `42["broadcast","`...)
		msg = appendPayload(msg, 'b', s.idx, s.sent, s.run.cfg.payload)
		msg = append(msg, `"]`...)
		if err := s.c.send(context.Background(), msg); err != nil {
			return fmt.Errorf("sender %d: %w", s.idx, err)
		}
		s.sent++
	}
}

// inFlight returns how many of the sender's broadcasts some client
// has yet to receive.
func (s *sender) inFlight() int { return cap(s.credits) - len(s.credits) }

// runBroadcast measures the broadcast figure against the testee t.
func runBroadcast(ctx context.Context, t *proc.Testee, cfg broadcastConfig) (sample, error) {
	if cfg.senders > cfg.clients || cfg.senders <= 0 || cfg.window <= 0 || cfg.payload < payloadHead {
		return sample{}, errors.New("broadcast: bad configuration")
	}
	r := &broadcastRun{cfg: cfg, mon: newMonitor()}
	r.senders = make([]*sender, cfg.senders)
	for i := range r.senders {
		s := &sender{run: r, idx: i, credits: make(chan struct{}, cfg.window), counts: make([]atomic.Int32, cfg.window)}
		for range cfg.window {
			s.credits <- struct{}{}
		}
		r.senders[i] = s
	}
	clients, err := connectAll(ctx, t.Addr, cfg.clients, connectConcurrency, r.mon, func(int) handler {
		return &broadcastClient{run: r, next: make([]int64, cfg.senders)}
	})
	if err != nil {
		return sample{}, err
	}
	defer closeAll(clients, r.mon)
	// The senders are spread over the clients, so that they do not all
	// sit at one end of the room's order.
	for i, s := range r.senders {
		s.c = clients[i*cfg.clients/cfg.senders]
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range r.senders {
		wg.Go(func() {
			if err := s.loop(stop); err != nil {
				r.mon.fail(err)
			}
		})
	}
	m, err := measureWindow(ctx, r.mon, t.PID, cfg.warmup, cfg.measure, nil, func() [2]int64 {
		return [2]int64{r.delivered.Load(), r.completed.Load()}
	})
	close(stop)
	wg.Wait()
	if err != nil {
		return sample{}, err
	}
	if err := r.drain(ctx); err != nil {
		return sample{}, err
	}
	if err := r.verify(clients); err != nil {
		return sample{}, err
	}
	return sample{
		Value:      m.rate(0),
		Broadcasts: m.rate(1),
		CPU:        m.cpu,
		Messages:   r.delivered.Load(),
	}, nil
}

// drain waits until every broadcast sent has reached every client.
func (r *broadcastRun) drain(ctx context.Context) error {
	deadline := time.Now().Add(r.cfg.drain)
	for {
		left := 0
		for _, s := range r.senders {
			left += s.inFlight()
		}
		if left == 0 {
			return nil
		}
		if err := r.mon.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("broadcast: %d broadcasts still not received by every client %v after the senders stopped: lost", left, r.cfg.drain)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// verify checks that every client received every broadcast sent: the
// counts agree with the senders' after drain.
func (r *broadcastRun) verify(clients []*client) error {
	var total int64
	for _, s := range r.senders {
		total += s.sent
	}
	for _, c := range clients {
		b := c.h.(*broadcastClient)
		for i, s := range r.senders {
			if b.next[i] != s.sent {
				return fmt.Errorf("broadcast: client %d received %d broadcasts of sender %d, which sent %d", c.id, b.next[i], i, s.sent)
			}
		}
	}
	if got, want := r.delivered.Load(), total*int64(len(clients)); got != want {
		return fmt.Errorf("broadcast: %d deliveries, want %d", got, want)
	}
	return r.mon.Err()
}
