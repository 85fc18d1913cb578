//go:build linux

package websocket

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/duplexrt/duplex/internal/gopool"
)

// The poller waits for many connections at once with an epoll instance of
// its own, so that a connection served with Serve needs neither a
// goroutine nor a buffer while it waits. Each connection is registered
// one-shot: after an event, it stays silent until the goroutine that
// reads it re-arms it, so one goroutine at a time reads a connection.
// The connection's descriptor stays registered with the runtime's own
// poller as well, for writes and deadlines.
//
// The epoll descriptor is itself registered with the runtime's poller
// (an epoll instance is readable while it has events), so the poller's
// goroutine parks like any other reader instead of holding a thread and
// its processor in a blocking epoll_wait.
type poller struct {
	epfd  int
	file  *os.File // epfd, for the runtime's poller
	mu    sync.Mutex
	conns map[int32]*Conn // by descriptor; guarded by mu
	gen   atomic.Int32    // registrations so far

	// Ready connections are served on reused goroutines: a fresh
	// goroutine per event would start on a small stack and grow it on
	// every message path.
	workers *gopool.Pool[*Conn]
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
		if err := syscall.SetNonblock(epfd, true); err != nil {
			syscall.Close(epfd)
			return
		}
		file := os.NewFile(uintptr(epfd), "websocket-poller")
		rc, err := file.SyscallConn()
		if err != nil {
			file.Close()
			return
		}
		p := &poller{epfd: epfd, file: file, conns: make(map[int32]*Conn)}
		p.workers = gopool.New(func(c *Conn) { p.ready(c, syscall.EPOLL_CTL_MOD) })
		thePoller.p = p
		go p.loop(rc)
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

// rearm arms c again after an event, unless it was closed: its
// descriptor may belong to a new connection by now, whose registration
// must not be touched.
func (p *poller) rearm(c *Conn, op int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns[c.pollFD] != c {
		return ErrClosed
	}
	return p.arm(c, op)
}

// pollerRemove forgets a closed connection. A connection closed while it
// waits in the poller gets no more events, so its serving is ended here,
// on a goroutine of its own since the caller may hold any lock; when a
// worker is reading it instead, that worker ends it.
func pollerRemove(c *Conn) {
	if p := thePoller.p; p != nil {
		p.forget(c)
		go c.endServeIfIdle()
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
func (p *poller) loop(rc syscall.RawConn) {
	events := make([]syscall.EpollEvent, 256)
	var n int
	wait := func(fd uintptr) bool {
		var err error
		n, err = syscall.EpollWait(int(fd), events, 0)
		return err == nil && n > 0 // false: park until epfd is readable
	}
	for {
		if err := rc.Read(wait); err != nil {
			return // cannot happen: the descriptor is never closed
		}
		for i := range n {
			p.mu.Lock()
			c := p.conns[events[i].Fd]
			p.mu.Unlock()
			// An event can outlive its connection, whose descriptor a
			// new connection may have by now: the generation tells.
			if c != nil && c.pollGen == events[i].Pad {
				p.workers.Go(c)
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
	if err := p.rearm(c, op); err != nil {
		// The connection was closed meanwhile.
		p.forget(c)
		c.finishServe(ErrClosed)
	}
}
