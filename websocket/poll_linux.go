//go:build linux

package websocket

import (
	"sync"
	"sync/atomic"
	"syscall"
)

// The poller waits for many connections at once with an epoll instance of
// its own, so that a connection served with Serve needs neither a
// goroutine nor a buffer while it waits. Each connection is registered
// one-shot: after an event, it stays silent until the goroutine that
// reads it re-arms it, so one goroutine at a time reads a connection.
// The connection's descriptor stays registered with the runtime's own
// poller as well, for writes and deadlines.
type poller struct {
	epfd  int
	mu    sync.Mutex
	conns map[int32]*Conn // by descriptor; guarded by mu
	gen   atomic.Int32    // registrations so far
}

var thePoller struct {
	once sync.Once
	p    *poller
}

const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

func pollerAvailable() bool {
	thePoller.once.Do(func() {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		thePoller.p = &poller{epfd: epfd, conns: make(map[int32]*Conn)}
		go thePoller.p.loop()
	})
	return thePoller.p != nil
}

// pollerAdd registers c with the poller.
func pollerAdd(c *Conn) error {
	p := thePoller.p
	var fd int32
	if err := c.raw.Control(func(s uintptr) { fd = int32(s) }); err != nil {
		return err
	}
	c.rawTryFn = c.rawTry
	c.nonblocking = true
	c.pollFD = fd
	c.pollGen = p.gen.Add(1)
	early := c.rbuf != nil && c.w > c.r
	p.mu.Lock()
	p.conns[fd] = c
	p.mu.Unlock()
	if early {
		// Bytes that came with the handshake raise no event: serve them,
		// then register.
		go p.ready(c, syscall.EPOLL_CTL_ADD)
		return nil
	}
	if err := p.arm(c, syscall.EPOLL_CTL_ADD); err != nil {
		p.forget(c)
		c.nonblocking = false
		return err
	}
	return nil
}

// arm registers c (op EPOLL_CTL_ADD) or re-arms it (EPOLL_CTL_MOD) for
// one event.
func (p *poller) arm(c *Conn, op int) error {
	ev := syscall.EpollEvent{Events: pollEvents, Fd: c.pollFD, Pad: c.pollGen}
	return syscall.EpollCtl(p.epfd, op, int(c.pollFD), &ev)
}

// pollerRemove forgets a closed connection.
func pollerRemove(c *Conn) {
	if p := thePoller.p; p != nil {
		p.forget(c)
	}
}

func (p *poller) forget(c *Conn) {
	p.mu.Lock()
	if p.conns[c.pollFD] == c {
		delete(p.conns, c.pollFD)
	}
	p.mu.Unlock()
}

// loop waits for events and starts a goroutine for each ready connection.
func (p *poller) loop() {
	events := make([]syscall.EpollEvent, 256)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			continue // EINTR
		}
		for i := range n {
			p.mu.Lock()
			c := p.conns[events[i].Fd]
			p.mu.Unlock()
			// An event can outlive its connection, whose descriptor a
			// new connection may have by now: the generation tells.
			if c != nil && c.pollGen == events[i].Pad {
				go p.ready(c, syscall.EPOLL_CTL_MOD)
			}
		}
	}
}

// ready serves c's waiting messages and arms it again.
func (p *poller) ready(c *Conn, op int) {
	if !c.serveReady() {
		p.forget(c)
		return
	}
	if err := p.arm(c, op); err != nil {
		// The connection was closed meanwhile.
		p.forget(c)
	}
}
