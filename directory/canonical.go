package directory

import (
	"bytes"
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// isCanonicalJSON reports whether b is a JSON value (not null) that
// canonicalJSON would return unchanged, so that it can skip decoding and
// re-encoding: no insignificant space, object keys strictly increasing,
// strings without escapes, control characters or U+2028/U+2029 (which the
// encoder would escape), valid UTF-8. A false answer only means "take the
// slow path".
func isCanonicalJSON(b []byte) bool {
	if len(b) == 0 || b[0] == 'n' {
		return false
	}
	c := canonScanner{b: b}
	return c.value(0) && c.i == len(b)
}

type canonScanner struct {
	b []byte
	i int
}

// maxCanonDepth bounds nesting; deeper values take the slow path.
const maxCanonDepth = 64

func (c *canonScanner) value(depth int) bool {
	if c.i >= len(c.b) || depth > maxCanonDepth {
		return false
	}
	switch ch := c.b[c.i]; {
	case ch == '{':
		return c.object(depth)
	case ch == '[':
		return c.array(depth)
	case ch == '"':
		_, ok := c.str()
		return ok
	case ch == '-' || ch >= '0' && ch <= '9':
		return c.number()
	}
	for _, lit := range []string{"true", "false", "null"} {
		if len(c.b)-c.i >= len(lit) && string(c.b[c.i:c.i+len(lit)]) == lit {
			c.i += len(lit)
			return true
		}
	}
	return false
}

func (c *canonScanner) object(depth int) bool {
	c.i++ // {
	if c.next('}') {
		return true
	}
	var prev []byte
	for first := true; ; first = false {
		key, ok := c.str()
		if !ok || (!first && string(key) <= string(prev)) || !c.next(':') || !c.value(depth+1) {
			return false
		}
		prev = key
		if c.next('}') {
			return true
		}
		if !c.next(',') {
			return false
		}
	}
}

func (c *canonScanner) array(depth int) bool {
	c.i++ // [
	if c.next(']') {
		return true
	}
	for {
		if !c.value(depth + 1) {
			return false
		}
		if c.next(']') {
			return true
		}
		if !c.next(',') {
			return false
		}
	}
}

// str scans a string and returns its contents.
func (c *canonScanner) str() ([]byte, bool) {
	if !c.next('"') {
		return nil, false
	}
	start := c.i
	for c.i < len(c.b) {
		ch := c.b[c.i]
		switch {
		case ch == '"':
			s := c.b[start:c.i]
			c.i++
			return s, true
		case ch == '\\' || ch < 0x20:
			return nil, false
		case ch < utf8.RuneSelf:
			c.i++
		default:
			r, n := utf8.DecodeRune(c.b[c.i:])
			if r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
				return nil, false
			}
			c.i += n
		}
	}
	return nil, false
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, which the
// encoder writes back verbatim.
func (c *canonScanner) number() bool {
	c.next('-')
	if c.next('0') {
		// no further integer digits
	} else if !c.digits() {
		return false
	}
	if c.next('.') && !c.digits() {
		return false
	}
	if c.next('e') || c.next('E') {
		if !c.next('+') {
			c.next('-')
		}
		return c.digits()
	}
	return true
}

func (c *canonScanner) digits() bool {
	start := c.i
	for c.i < len(c.b) && c.b[c.i] >= '0' && c.b[c.i] <= '9' {
		c.i++
	}
	return c.i > start
}

// next consumes ch if it comes next.
func (c *canonScanner) next(ch byte) bool {
	if c.i < len(c.b) && c.b[c.i] == ch {
		c.i++
		return true
	}
	return false
}

// member is the key and value of one object member, as spans of the input.
type member struct{ key, value []byte }

// canonicalFlatObject canonicalises the common shape of custom attributes
// without decoding: an object of scalar values, keys in any order, space
// anywhere between tokens. It reports false for anything else (nested
// values, escapes, duplicate keys), which takes the slow path.
func canonicalFlatObject(b []byte) (json.RawMessage, bool) {
	c := canonScanner{b: b}
	c.space()
	if !c.next('{') {
		return nil, false
	}
	var ms []member
	c.space()
	for !c.next('}') {
		if len(ms) > 0 && !c.next(',') {
			return nil, false
		}
		c.space()
		key, ok := c.str()
		if c.space(); !ok || !c.next(':') {
			return nil, false
		}
		c.space()
		start := c.i
		if c.i >= len(b) || b[c.i] == '{' || b[c.i] == '[' || !c.value(0) {
			return nil, false
		}
		ms = append(ms, member{key, b[start:c.i]})
		c.space()
	}
	if c.space(); c.i != len(b) {
		return nil, false
	}
	slices.SortFunc(ms, func(x, y member) int { return bytes.Compare(x.key, y.key) })
	size := 2
	for i, m := range ms {
		if i > 0 && bytes.Equal(m.key, ms[i-1].key) {
			return nil, false
		}
		size += len(m.key) + len(m.value) + 4
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	for i, m := range ms {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(append(append(append(out, '"'), m.key...), '"', ':'), m.value...)
	}
	return append(out, '}'), true
}

// space skips JSON whitespace.
func (c *canonScanner) space() {
	for c.i < len(c.b) && (c.b[c.i] == ' ' || c.b[c.i] == '\t' || c.b[c.i] == '\n' || c.b[c.i] == '\r') {
		c.i++
	}
}
