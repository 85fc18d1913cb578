package socketio

import (
	"regexp"
	"slices"
	"sync"
)

// A ParentNamespace is a dynamic namespace, made with Server.OfFunc or
// Server.OfRegexp: it makes a child Namespace for each name it accepts,
// the first time a client asks for it. Its middlewares and connection
// handlers apply to all its children, before their own; they may be added
// at any time. Its methods are safe for concurrent use.
type ParentNamespace struct {
	srv   *Server                                     // immutable
	re    *regexp.Regexp                              // for OfRegexp; immutable
	match func(name string, auth map[string]any) bool // immutable

	mu          sync.Mutex
	middlewares []func(*Socket, func(error)) // guarded by mu
	onConnect   []func(*Socket)              // guarded by mu
	children    []*Namespace                 // guarded by mu
}

// Use adds a middleware for the sockets of every child; see
// Namespace.Use.
func (p *ParentNamespace) Use(f func(s *Socket, next func(err error))) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.middlewares = append(p.middlewares, f)
}

// OnConnection adds a connection handler for the sockets of every child;
// s.Namespace() tells which child.
func (p *ParentNamespace) OnConnection(f func(s *Socket)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onConnect = append(p.onConnect, f)
}

// Children returns the namespaces made so far.
func (p *ParentNamespace) Children() []*Namespace {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.children)
}

// Emit sends an event to every socket of every child.
func (p *ParentNamespace) Emit(event string, args ...any) error {
	var first error
	for _, n := range p.Children() {
		if err := n.Emit(event, args...); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (p *ParentNamespace) middlewareList() []func(*Socket, func(error)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.middlewares)
}

func (p *ParentNamespace) connectionHandlers() []func(*Socket) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.onConnect)
}

func (p *ParentNamespace) addChild(n *Namespace) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.children = append(p.children, n)
}

func (p *ParentNamespace) removeChild(n *Namespace) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.children = slices.DeleteFunc(p.children, func(c *Namespace) bool { return c == n })
}
