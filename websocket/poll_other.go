//go:build !linux

package websocket

func pollerAvailable() bool   { return false }
func pollerAdd(c *Conn) error { return errWouldBlock }
func pollerRemove(c *Conn)    {}
