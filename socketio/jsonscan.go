package socketio

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// The helpers in this file walk JSON text that json.Valid has accepted:
// they split arrays and objects into their elements without decoding them,
// so that an argument is decoded once, straight into its Go type.

var errJSONShape = errors.New("socketio: malformed JSON")

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// trimJSON removes the white space around a JSON value.
func trimJSON(b []byte) []byte {
	i := skipSpace(b, 0)
	j := len(b)
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// valueEnd returns the index just past the JSON value that starts at b[i].
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errJSONShape
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errJSONShape
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == ']' || c == '}' || isSpace(c) {
				break
			}
			j++
		}
		if j == i {
			return 0, errJSONShape
		}
		return j, nil
	}
}

// stringEnd returns the index just past the JSON string that starts at b[i].
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errJSONShape
}

// splitArray returns the elements of a JSON array, each without surrounding
// white space. The elements share b's memory.
func splitArray(b []byte) ([]json.RawMessage, error) {
	elems, err := appendArray(nil, b)
	if elems == nil && err == nil {
		elems = []json.RawMessage{}
	}
	return elems, err
}

// appendArray appends the elements of a JSON array to dst, as splitArray
// returns them.
func appendArray(dst []json.RawMessage, b []byte) ([]json.RawMessage, error) {
	err := eachElem(b, func(e []byte) error {
		if dst == nil {
			dst = make([]json.RawMessage, 0, 4) // most events carry a few arguments
		}
		dst = append(dst, e)
		return nil
	})
	return dst, err
}

// eachElem calls fn with each element of a JSON array, in order, without
// surrounding white space. The elements share b's memory.
func eachElem(b []byte, fn func(elem []byte) error) error {
	b = trimJSON(b)
	if len(b) < 2 || b[0] != '[' {
		return errJSONShape
	}
	i := skipSpace(b, 1)
	if b[i] == ']' {
		return nil
	}
	for {
		end, err := valueEnd(b, i)
		if err != nil {
			return err
		}
		if err := fn(b[i:end:end]); err != nil {
			return err
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return errJSONShape
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return nil
		default:
			return errJSONShape
		}
	}
}

// eachMember calls fn with the raw key (quotes included) and the value of
// each member of a JSON object, in order.
func eachMember(b []byte, fn func(key, value []byte) error) error {
	b = trimJSON(b)
	if len(b) < 2 || b[0] != '{' {
		return errJSONShape
	}
	i := skipSpace(b, 1)
	if b[i] == '}' {
		return nil
	}
	for {
		if b[i] != '"' {
			return errJSONShape
		}
		kend, err := stringEnd(b, i)
		if err != nil {
			return err
		}
		key := b[i:kend]
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return errJSONShape
		}
		i = skipSpace(b, i+1)
		vend, err := valueEnd(b, i)
		if err != nil {
			return err
		}
		if err := fn(key, b[i:vend:vend]); err != nil {
			return err
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return errJSONShape
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return nil
		default:
			return errJSONShape
		}
	}
}

// unquoteKey returns the text of a raw JSON string token.
func unquoteKey(raw []byte) (string, error) {
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' {
			var s string
			err := json.Unmarshal(raw, &s)
			return s, err
		}
	}
	return string(raw[1 : len(raw)-1]), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, and
// U+2028 and U+2029 are escaped, as encoding/json does; <, > and & are kept
// as they are, as JSON.stringify does.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
