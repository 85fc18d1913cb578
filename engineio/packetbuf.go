package engineio

import "sync"

// The data of small outgoing packets lives in buffers kept for reuse: a
// packet's buffer goes back once the packet is written, so a server that
// sends small messages allocates none for them in the steady state. A
// packet dropped unwritten (its session finished) leaves its buffer to
// the garbage collector. Three sizes, four times apart, bound the room a
// queued packet wastes.
var (
	packetBufs64   = sync.Pool{New: func() any { return new([64]byte) }}
	packetBufs256  = sync.Pool{New: func() any { return new([256]byte) }}
	packetBufs1024 = sync.Pool{New: func() any { return new([1024]byte) }}
)

// packetBuffer returns a buffer of n bytes and the size class it came
// from, 0 when it was allocated for the packet alone.
func packetBuffer(n int) ([]byte, uint8) {
	switch {
	case n <= 64:
		return packetBufs64.Get().(*[64]byte)[:n], 1
	case n <= 256:
		return packetBufs256.Get().(*[256]byte)[:n], 2
	case n <= 1024:
		return packetBufs1024.Get().(*[1024]byte)[:n], 3
	}
	return make([]byte, n), 0
}

// releasePackets gives back the buffers of written packets. Nothing may
// use the packets' data afterwards. A packet that outgrew its buffer
// leaves it to the garbage collector.
func releasePackets(pkts []outPacket) {
	for _, p := range pkts {
		switch {
		case p.class == 1 && cap(p.data) == 64:
			packetBufs64.Put((*[64]byte)(p.data[:64]))
		case p.class == 2 && cap(p.data) == 256:
			packetBufs256.Put((*[256]byte)(p.data[:256]))
		case p.class == 3 && cap(p.data) == 1024:
			packetBufs1024.Put((*[1024]byte)(p.data[:1024]))
		}
	}
}
