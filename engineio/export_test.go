package engineio

// Hooks for the black-box tests, which must know when a request has
// reached a state before they take the next step.

// PollPending reports whether a GET is waiting for packets.
func (s *Session) PollPending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.poll != nil
}

// Probing reports whether a WebSocket is being probed for an upgrade.
func (s *Session) Probing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.probe != nil
}

// Posting reports whether a POST is being read.
func (s *Session) Posting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posting
}
