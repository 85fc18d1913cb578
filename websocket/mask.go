package websocket

import (
	"encoding/binary"
	"math/bits"
)

// mask XORs b with the masking key (RFC 6455, section 5.3), starting at
// position pos of the key, and returns the key position after b. It
// works eight bytes at a time; the compiler turns the loads and stores
// into single machine words.
func mask(key [4]byte, pos int, b []byte) int {
	if len(b) < 16 {
		for i := range b {
			b[i] ^= key[(pos+i)&3]
		}
		return (pos + len(b)) & 3
	}
	k32 := binary.LittleEndian.Uint32(key[:])
	// Rotate the key so that its first byte lines up with b[0].
	k32 = bits.RotateLeft32(k32, -8*(pos&3))
	k64 := uint64(k32)<<32 | uint64(k32)
	for len(b) >= 64 {
		v := binary.LittleEndian.Uint64(b)
		binary.LittleEndian.PutUint64(b, v^k64)
		v = binary.LittleEndian.Uint64(b[8:])
		binary.LittleEndian.PutUint64(b[8:], v^k64)
		v = binary.LittleEndian.Uint64(b[16:])
		binary.LittleEndian.PutUint64(b[16:], v^k64)
		v = binary.LittleEndian.Uint64(b[24:])
		binary.LittleEndian.PutUint64(b[24:], v^k64)
		v = binary.LittleEndian.Uint64(b[32:])
		binary.LittleEndian.PutUint64(b[32:], v^k64)
		v = binary.LittleEndian.Uint64(b[40:])
		binary.LittleEndian.PutUint64(b[40:], v^k64)
		v = binary.LittleEndian.Uint64(b[48:])
		binary.LittleEndian.PutUint64(b[48:], v^k64)
		v = binary.LittleEndian.Uint64(b[56:])
		binary.LittleEndian.PutUint64(b[56:], v^k64)
		b = b[64:]
	}
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		binary.LittleEndian.PutUint64(b, v^k64)
		b = b[8:]
	}
	// Whole words keep the key's phase, so the tail starts at pos again.
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}
