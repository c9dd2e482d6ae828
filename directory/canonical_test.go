package directory

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// slowCanonical is canonicalJSON without the fast path.
func slowCanonical(t *testing.T, raw string) (string, bool) {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() || v == nil {
		return "", false
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n"), true
}

// TestCanonicalFastPath: whatever the fast path accepts, the slow path
// returns unchanged; and it accepts what the slow path produces unless that
// has escapes.
func TestCanonicalFastPath(t *testing.T) {
	for _, c := range []struct {
		in     string
		accept bool
	}{
		{`{"a":1,"b":[true,false,null,"x"],"c":{"d":-0.5e+10}}`, true},
		{`{"cost_center":"cc-7","employeenumber":"42"}`, true},
		{`{}`, true}, {`[]`, true}, {`"é€😀"`, true}, {`12345678901234567890`, true}, {`0`, true},
		{`{"b":1,"a":2}`, false},     // unsorted
		{`{"a":1,"a":2}`, false},     // duplicate key
		{`{"a": 1}`, false},          // space
		{`{"a":"\u0041"}`, false},    // escape
		{`{"a":"<&>"}`, true},        // no HTML escaping
		{"\"\u2028\"", false},        // escaped by the encoder
		{"\"a\x01\"", false},         // control character
		{"\"\xff\"", false},          // invalid UTF-8
		{`null`, false}, {``, false}, // stored as NULL
		{`01`, false}, {`1.`, false}, {`-`, false}, {`1e`, false}, {`.5`, false},
		{`{"a":1}x`, false}, {`{"a":1`, false}, {`[1,]`, false}, {`tru`, false},
		{strings.Repeat("[", maxCanonDepth+2) + strings.Repeat("]", maxCanonDepth+2), false}, // too deep for the fast path
	} {
		got := isCanonicalJSON([]byte(c.in))
		if got != c.accept {
			t.Errorf("isCanonicalJSON(%q) = %v, want %v", c.in, got, c.accept)
		}
		if got {
			slow, ok := slowCanonical(t, c.in)
			if !ok || slow != c.in {
				t.Errorf("fast path accepted %q, slow path gives %q (%v)", c.in, slow, ok)
			}
		}
	}

	for _, c := range []struct {
		in, want string // want "" for the slow path
	}{
		{`{"employeenumber":"1","cost_center":"cc-7"}`, `{"cost_center":"cc-7","employeenumber":"1"}`},
		{" { \"b\" : null ,\n\t\"a\":-1.5e3 } ", `{"a":-1.5e3,"b":null}`},
		{`{}`, `{}`},
		{`{"b":true,"a":"<&>"}`, `{"a":"<&>","b":true}`},
		{`{"b":1,"b":2}`, ""},        // duplicate key
		{`{"b":{},"a":1}`, ""},       // nested
		{`{"b":[1],"a":1}`, ""},      // nested
		{`{"b":"\u0041","a":1}`, ""}, // escape
		{`{"b":1,}`, ""}, {`{"b":1`, ""}, {`{"b" 1}`, ""}, {`{"b":1}}`, ""}, {`[1]`, ""}, {`{,"a":1}`, ""},
	} {
		got, ok := canonicalFlatObject([]byte(c.in))
		if c.want == "" {
			if ok {
				t.Errorf("canonicalFlatObject(%q) = %s, want the slow path", c.in, got)
			}
			continue
		}
		slow, _ := slowCanonical(t, c.in)
		if !ok || string(got) != c.want || slow != c.want {
			t.Errorf("canonicalFlatObject(%q) = %s %v, want %s (slow path %s)", c.in, got, ok, c.want, slow)
		}
	}

	rnd := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		raw, _ := json.Marshal(randomJSON(rnd, 0))
		canon, ok := slowCanonical(t, string(raw))
		if !ok {
			continue
		}
		// Escapes always take the slow path.
		if !strings.Contains(canon, `\`) && !isCanonicalJSON([]byte(canon)) {
			t.Errorf("fast path refused canonical %s", canon)
		}
		if isCanonicalJSON(raw) && string(raw) != canon {
			t.Errorf("fast path accepted %s, canonical is %s", raw, canon)
		}
		if flat, ok := canonicalFlatObject(raw); ok && string(flat) != canon {
			t.Errorf("flat path made %s of %s, canonical is %s", flat, raw, canon)
		}
	}
}

func randomJSON(r *rand.Rand, depth int) any {
	n := r.IntN(8)
	if depth > 3 {
		n = r.IntN(5)
	}
	switch n {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return r.NormFloat64() * 1e6
	case 3:
		return []string{"plain", "a\"q", "tab\t", "<html>", "é", "\u2028", "back\\slash"}[r.IntN(7)]
	case 4:
		return strconv.Itoa(r.IntN(1000))
	case 5, 6:
		m := map[string]any{}
		for range r.IntN(4) {
			m[[]string{"a", "b", "B", "é", "a\"b", "k1", "k10"}[r.IntN(7)]] = randomJSON(r, depth+1)
		}
		return m
	default:
		var a []any
		for range r.IntN(4) {
			a = append(a, randomJSON(r, depth+1))
		}
		return a
	}
}
