package engineio

import (
	"testing"
	"unsafe"
)

// TestSessionSize guards the size of an idle session: a Session that
// grows past 256 bytes moves to the next size class of the allocator.
func TestSessionSize(t *testing.T) {
	if n := unsafe.Sizeof(Session{}); n > 256 {
		t.Fatalf("Session is %d bytes, more than the 256-byte size class", n)
	}
}
