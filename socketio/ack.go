package socketio

import (
	"context"
	"sync/atomic"
)

// EmitWithAck sends an event and waits for the client's acknowledgement,
// returning its arguments. It returns ctx.Err() when ctx ends first (give
// it a deadline), and ErrDisconnected when the socket disconnects first.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) ([]Raw, error) {
	p, err := eventPacket(event, args)
	if err != nil {
		return nil, err
	}
	p.Namespace = s.nsp.name
	p.ID, p.HasID = s.nsp.nextAckID(), true
	type result struct {
		args []Raw
		err  error
	}
	ch := make(chan result, 1)
	if !s.addAck(p.ID, func(args []Raw, err error) { ch <- result{args, err} }) {
		return nil, ErrDisconnected
	}
	if err := s.client.sendPacket(p, false); err != nil {
		s.removeAck(p.ID)
		return nil, err
	}
	select {
	case r := <-ch:
		return r.args, r.err
	case <-ctx.Done():
		s.removeAck(p.ID)
		return nil, ctx.Err()
	}
}

// ackFunc returns the AckFunc that answers the client's event id.
func (s *Socket) ackFunc(id uint64) AckFunc {
	var sent atomic.Bool
	return func(args ...any) error {
		if !sent.CompareAndSwap(false, true) {
			return ErrNoAck
		}
		p, err := ackPacket(s.nsp.name, id, args)
		if err != nil {
			sent.Store(false)
			return err
		}
		if !s.Connected() {
			return ErrDisconnected
		}
		return s.client.sendPacket(p, false)
	}
}

func (s *Socket) addAck(id uint64, h ackHandler) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != socketConnected {
		return false
	}
	if s.acks == nil {
		s.acks = make(map[uint64]ackHandler)
	}
	s.acks[id] = h
	return true
}

func (s *Socket) removeAck(id uint64) {
	s.mu.Lock()
	delete(s.acks, id)
	s.mu.Unlock()
}

// onAck delivers an ACK packet, on the session's reading goroutine. An
// acknowledgement nobody waits for (any more) is ignored.
func (s *Socket) onAck(p *Packet) error {
	s.mu.Lock()
	h := s.acks[p.ID]
	delete(s.acks, p.ID)
	s.mu.Unlock()
	if h == nil {
		return nil
	}
	args, err := ackArgs(p)
	if err != nil {
		return err
	}
	h(args, nil)
	return nil
}
