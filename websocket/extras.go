package websocket

import "sync"

// connExtras is the state of features that many connections never use:
// the streaming Reader and Writer, Ping and the keep-alive, ping and pong
// handlers, and Enqueue's queue. A Conn makes it on first use, so that
// an idle connection that uses none of them stays in a smaller size
// class.
type connExtras struct {
	mr messageReader
	mw messageWriter

	pingMu  sync.Mutex
	pings   map[uint64]chan struct{} // pending Pings by payload, guarded by pingMu
	pingSeq uint64                   // guarded by pingMu

	keepAlive *keepAlive // set before the Conn is returned
	onPing    func(payload []byte)
	onPong    func(payload []byte)

	queue sendQueue // Enqueue's messages
}

// extras returns c's connExtras, making them on first use.
func (c *Conn) extras() *connExtras {
	if x := c.extra.Load(); x != nil {
		return x
	}
	x := &connExtras{}
	x.mr.c, x.mw.c = c, c
	if c.extra.CompareAndSwap(nil, x) {
		return x
	}
	return c.extra.Load()
}
