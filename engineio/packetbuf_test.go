package engineio

import (
	"bytes"
	"testing"
)

func TestPacketBuffer(t *testing.T) {
	for _, n := range []int{0, 1, 64, 65, 256, 257, 1024, 1025, 5000} {
		b, class := packetBuffer(n)
		if len(b) != n {
			t.Errorf("packetBuffer(%d) has length %d", n, len(b))
		}
		want := uint8(0)
		switch {
		case n <= 64:
			want = 1
		case n <= 256:
			want = 2
		case n <= 1024:
			want = 3
		}
		if class != want {
			t.Errorf("packetBuffer(%d) is of class %d, want %d", n, class, want)
		}
		releasePackets([]outPacket{{data: b, class: class}})
	}
	// A packet that outgrew its buffer is not given back as one of the
	// class's size.
	b, class := packetBuffer(200)
	b = append(b, make([]byte, 100)...)
	releasePackets([]outPacket{{data: b, class: class}})
}

// TestPacketBufferReuse checks that a written message's buffer serves a
// later message without leaking the earlier one's bytes into it.
func TestPacketBufferReuse(t *testing.T) {
	p := textMessage([]byte("first message, rather long"))
	releasePackets([]outPacket{p})
	q := textMessage([]byte("second"))
	if !bytes.Equal(q.data, []byte("4second")) {
		t.Fatalf("text message %q, want %q", q.data, "4second")
	}
	r := binaryMessage([]byte{1, 2, 3})
	if !bytes.Equal(r.data, []byte{1, 2, 3}) || !r.binary {
		t.Fatalf("binary message %v", r)
	}
}

func TestSendAllocations(t *testing.T) {
	msg := []byte("a small message")
	allocs := testing.AllocsPerRun(100, func() {
		p := textMessage(msg)
		releasePackets([]outPacket{p})
	})
	if allocs != 0 {
		t.Errorf("a small text message written takes %v allocations, want 0", allocs)
	}
}
