package socketio

import "context"

// EmitWithAck sends an event and waits for the client's acknowledgement,
// returning its arguments. It returns ctx.Err() when ctx ends first (give
// it a deadline), and ErrDisconnected when the socket disconnects first.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) ([]Raw, error) {
	if err := checkReserved(event); err != nil {
		return nil, err
	}
	h := Packet{Type: PacketEvent, Namespace: s.nsp.name, ID: s.nsp.nextAckID(), HasID: true}
	type result struct {
		args []Raw
		err  error
	}
	ch := make(chan result, 1)
	if !s.addAck(h.ID, func(args []Raw, err error) { ch <- result{args, err} }) {
		return nil, ErrDisconnected
	}
	if err := s.client.sendArgs(&h, event, true, args, false); err != nil {
		s.removeAck(h.ID)
		return nil, err
	}
	select {
	case r := <-ch:
		return r.args, r.err
	case <-ctx.Done():
		s.removeAck(h.ID)
		return nil, ctx.Err()
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
