package socketio

import (
	"testing"
	"unsafe"
)

// TestIdleSizes guards the size of what an idle client holds: a client or
// a Socket that grows past these sizes moves to the next size class of the
// allocator.
func TestIdleSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		size, max uintptr
	}{
		{"client", unsafe.Sizeof(client{}), 176},
		{"Socket", unsafe.Sizeof(Socket{}), 192},
	} {
		if c.size > c.max {
			t.Errorf("%s is %d bytes, more than the %d-byte size class", c.name, c.size, c.max)
		}
	}
}
