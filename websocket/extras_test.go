package websocket

import (
	"context"
	"testing"
	"unsafe"
)

// TestConnSize guards the size of an idle connection: a Conn that grows
// past 512 bytes moves to the next size class of the allocator (576).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 512 {
		t.Fatalf("Conn is %d bytes, more than the 512-byte size class", n)
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

// TestNewConnAllocations guards what an idle connection allocates for
// its whole life: the Conn, and the syscall.RawConn its reads go through.
func TestNewConnAllocations(t *testing.T) {
	local, peer := socketPair(t)
	defer local.Close()
	defer peer.Close()
	allocs := testing.AllocsPerRun(100, func() { newConn(local, connConfig{}) })
	if allocs > 2 {
		t.Errorf("newConn: %.0f allocations, want at most 2", allocs)
	}
}
