package bench

import (
	"math/rand/v2"
	"strconv"
)

// jsonWords is the vocabulary of the text fields of JSONLike: common
// English words, so that the text compresses the way chat text does,
// neither as well as a repeated template nor as badly as random bytes.
var jsonWords = []string{
	"the", "a", "to", "and", "of", "in", "is", "it", "you", "that", "for",
	"on", "was", "with", "he", "she", "they", "we", "be", "at", "one",
	"have", "this", "from", "by", "hot", "word", "but", "what", "some",
	"can", "out", "other", "were", "all", "there", "when", "up", "use",
	"your", "how", "said", "an", "each", "which", "do", "their", "time",
	"if", "will", "way", "about", "many", "then", "them", "write", "would",
	"like", "so", "these", "her", "long", "make", "thing", "see", "him",
	"two", "has", "look", "more", "day", "could", "go", "come", "did",
	"number", "sound", "no", "most", "people", "my", "over", "know",
	"water", "than", "call", "first", "who", "may", "down", "side", "been",
	"now", "find", "deploy", "server", "socket", "message", "latency",
	"build", "release", "meeting", "coffee", "tomorrow", "review", "merge",
}

// jsonTags are the values of the tags arrays of JSONLike.
var jsonTags = []string{"news", "ops", "random", "help", "release", "urgent", "dev", "ux"}

// JSONLike returns a valid JSON document of exactly n bytes (n >= 2): an
// array of chat-message objects with ids, names, timestamps, text, tags
// and numbers, generated from seed by a deterministic generator. The same
// n and seed always give the same bytes, and different seeds give
// different documents with the same vocabulary, which is what context
// takeover (RFC 7692, section 7.1.1) exploits across messages.
func JSONLike(n int, seed uint64) []byte {
	if n < 2 {
		panic("bench: JSONLike needs at least 2 bytes")
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]byte, 0, n)
	out = append(out, '[')
	var obj []byte
	for id := int(seed%1000) * 1000; ; id++ {
		obj = appendChatObject(obj[:0], rng, id)
		sep := 0
		if len(out) > 1 {
			sep = 1
		}
		if len(out)+sep+len(obj)+1 > n {
			break
		}
		if sep == 1 {
			out = append(out, ',')
		}
		out = append(out, obj...)
	}
	// Fill what is left with a last, shorter object, or with spaces
	// where even the shortest object does not fit.
	room := n - len(out) - 1 // before the closing bracket
	if len(out) > 1 {
		room-- // its comma
	}
	head := []byte(`{"id":0,"text":"`)
	if room >= len(head)+2 {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, head...)
		for text := room - len(head) - 2; text > 0; {
			w := jsonWords[rng.IntN(len(jsonWords))]
			w = w[:min(len(w), text)]
			out = append(out, w...)
			text -= len(w)
			if text > 0 {
				out = append(out, ' ')
				text--
			}
		}
		out = append(out, '"', '}')
	}
	for len(out) < n-1 {
		out = append(out, ' ')
	}
	return append(out, ']')
}

// appendChatObject appends one chat-message object to b.
func appendChatObject(b []byte, rng *rand.Rand, id int) []byte {
	user := rng.IntN(500)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, `,"type":"message","room":"room-`...)
	b = strconv.AppendInt(b, int64(rng.IntN(40)), 10)
	b = append(b, `","user":{"id":`...)
	b = strconv.AppendInt(b, int64(user), 10)
	b = append(b, `,"name":"user-`...)
	b = strconv.AppendInt(b, int64(user), 10)
	b = append(b, `"},"ts":"2026-`...)
	b = appendTwoDigits(b, 1+rng.IntN(12))
	b = append(b, '-')
	b = appendTwoDigits(b, 1+rng.IntN(28))
	b = append(b, 'T')
	b = appendTwoDigits(b, rng.IntN(24))
	b = append(b, ':')
	b = appendTwoDigits(b, rng.IntN(60))
	b = append(b, ':')
	b = appendTwoDigits(b, rng.IntN(60))
	b = append(b, `Z","text":"`...)
	for i, words := 0, 4+rng.IntN(16); i < words; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, jsonWords[rng.IntN(len(jsonWords))]...)
	}
	b = append(b, `","tags":[`...)
	for i, tags := 0, rng.IntN(4); i < tags; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, jsonTags[rng.IntN(len(jsonTags))]...)
		b = append(b, '"')
	}
	b = append(b, `],"score":`...)
	b = strconv.AppendFloat(b, rng.Float64()*100, 'f', 3, 64)
	b = append(b, `,"read":`...)
	b = strconv.AppendBool(b, rng.IntN(2) == 0)
	return append(b, '}')
}

func appendTwoDigits(b []byte, v int) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}

// compressedSizes are the message sizes of the compression benchmarks.
var compressedSizes = []int{1 << 10, 64 << 10}

// MessageSet returns distinct JSONLike documents of size bytes each, as
// many as it takes to cover three 32 KiB windows, and at least eight. A
// benchmark that cycles through them never finds the very message it is
// sending in a compressor's window, which would make context takeover
// look better than real traffic allows; what the window does hold is
// earlier messages with the same keys and vocabulary.
func MessageSet(size int) [][]byte {
	k := max(8, (96<<10)/size)
	msgs := make([][]byte, k)
	for i := range msgs {
		msgs[i] = JSONLike(size, uint64(i)+1)
	}
	return msgs
}
