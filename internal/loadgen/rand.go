package loadgen

import "crypto/rand"

// fillKey sets key to a random mask key.
func fillKey(key *[4]byte) {
	rand.Read(key[:])
}
