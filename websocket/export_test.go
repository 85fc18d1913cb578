package websocket

// Hooks for the black-box benchmarks.

func ValidUTF8ForBenchmark(p []byte) bool { return validUTF8(p) }

func MaskForBenchmark(key [4]byte, p []byte) { mask(key, 0, p) }
