package olsim

import (
	"cmp"
	"errors"
	"strconv"
	"strings"
	"time"
)

// item is one list element in wire form. Filtering, sorting and field
// projection all work on this one representation.
type item = map[string]any

// filterSpec turns a query value into a predicate. A plain error becomes a
// 400 `invalid value in "<param>"`; an *Error is answered as it is.
type filterSpec func(value string) (func(item) bool, error)

// lookup reads a possibly nested field ("custom_attributes.cost_center").
func lookup(it item, field string) any {
	head, rest, nested := strings.Cut(field, ".")
	v := it[head]
	if !nested {
		return v
	}
	if m, ok := v.(map[string]any); ok {
		return lookup(m, rest)
	}
	return nil
}

// matchText implements OneLogin's value matching: exact by default, "*" as a
// prefix and/or suffix wildcard, and a leading "!" for "does not contain"
// (§5.1, §5.2). Matching ignores case.
func matchText(pattern, value string) bool {
	p, v := strings.ToLower(pattern), strings.ToLower(value)
	if neg, ok := strings.CutPrefix(p, "!"); ok {
		return !strings.Contains(v, strings.Trim(neg, "*"))
	}
	lead, trail := strings.HasPrefix(p, "*"), len(p) > 1 && strings.HasSuffix(p, "*")
	core := strings.TrimSuffix(strings.TrimPrefix(p, "*"), "*")
	switch {
	case lead && trail:
		return strings.Contains(v, core)
	case lead:
		return strings.HasSuffix(v, core)
	case trail:
		return strings.HasPrefix(v, core)
	}
	return v == p
}

// textFilter matches a string field; any of several fields may match.
func textFilter(fields ...string) filterSpec {
	return func(value string) (func(item) bool, error) {
		return func(it item) bool {
			for _, f := range fields {
				if s, ok := lookup(it, f).(string); ok && matchText(value, s) {
					return true
				}
			}
			return false
		}, nil
	}
}

// intFilter matches a numeric field (or any element of a numeric array)
// against a comma-separated list of integers.
func intFilter(field string) filterSpec {
	return func(value string) (func(item) bool, error) {
		want := map[int64]bool{}
		for part := range strings.SplitSeq(value, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil {
				return nil, errBadValue
			}
			want[n] = true
		}
		return func(it item) bool {
			switch v := lookup(it, field).(type) {
			case []int64:
				for _, n := range v {
					if want[n] {
						return true
					}
				}
			default:
				n, ok := asInt64(v)
				return ok && want[n]
			}
			return false
		}, nil
	}
}

// timeFilter bounds a timestamp field: after=true for *_since, false for
// *_until. Null timestamps never match.
func timeFilter(field string, after, inclusive bool) filterSpec {
	return func(value string) (func(item) bool, error) {
		t, ok := parseFilterTime(value)
		if !ok {
			return nil, errBadValue
		}
		return func(it item) bool {
			s, ok := lookup(it, field).(string)
			if !ok {
				return false
			}
			v, err := time.Parse(wireTime, s)
			if err != nil {
				return false
			}
			switch {
			case v.Equal(t):
				return inclusive
			case after:
				return v.After(t)
			}
			return v.Before(t)
		}, nil
	}
}

var errBadValue = errors.New("invalid filter value")

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	}
	return 0, false
}

// compareValues orders wire values: numbers and strings naturally, bools
// false first, nulls last.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	if x, ok := asInt64(a); ok {
		if y, ok := asInt64(b); ok {
			return cmp.Compare(x, y)
		}
	}
	if x, ok := a.(string); ok {
		if y, ok := b.(string); ok {
			return cmp.Compare(strings.ToLower(x), strings.ToLower(y))
		}
	}
	if x, ok := a.(bool); ok {
		if y, ok := b.(bool); ok && x != y {
			if x {
				return 1
			}
			return -1
		}
	}
	return 0
}
