package websocket

import (
	"context"
	"testing"
	"unsafe"
)

// TestConnSize guards the size of an idle connection: a Conn that grows
// past 640 bytes moves to the next size class of the allocator (704).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 640 {
		t.Fatalf("Conn is %d bytes, more than the 640-byte size class", n)
	}
}

func TestExtrasMadeOnFirstUse(t *testing.T) {
	local, peer := socketPair(t)
	defer peer.Close()
	c := newConn(local, connConfig{})
	defer c.CloseNow()
	if c.extra.Load() != nil {
		t.Fatal("a new Conn has its extras")
	}
	w, err := c.Writer(context.Background(), MessageText)
	if err != nil {
		t.Fatal(err)
	}
	x := c.extra.Load()
	if x == nil || w != &x.mw || x.mw.c != c || x.mr.c != c {
		t.Fatal("Writer did not make the extras of its Conn")
	}
	if c.extras() != x {
		t.Fatal("extras made twice")
	}
}
