package olsim

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// item is one list element in wire form, as a page renders it.
type item = map[string]any

// record is one list element as filters and sorts see it. value returns a
// field in comparable form (string, int64, int, bool, time.Time, []int64,
// map[string]any, or nil for null) and false when there is no such field.
// Large collections implement it on their stored form, so filtering never
// renders an element.
type record interface {
	value(field string) (any, bool)
}

// itemRecord is a record over a rendered element (small collections).
type itemRecord item

func (it itemRecord) value(field string) (any, bool) { return lookupMap(it, field) }

// lookupMap reads a possibly nested field ("custom_attributes.cost_center").
func lookupMap(m map[string]any, field string) (any, bool) {
	head, rest, nested := strings.Cut(field, ".")
	v, ok := m[head]
	if !nested || !ok {
		return v, ok
	}
	if inner, isMap := v.(map[string]any); isMap {
		return lookupMap(inner, rest)
	}
	return nil, false
}

func lookup(r record, field string) any { v, _ := r.value(field); return v }

// predicate decides whether a record is in a filtered list.
type predicate func(record) bool

// filterSpec turns a query value into a predicate. A plain error becomes a
// 400 `invalid value in "<param>"`; an *Error is answered as it is.
type filterSpec func(value string) (predicate, error)

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
	return func(value string) (predicate, error) {
		return func(r record) bool {
			for _, f := range fields {
				if s, ok := lookup(r, f).(string); ok && matchText(value, s) {
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
	return func(value string) (predicate, error) {
		want := map[int64]bool{}
		list, err := parseIDs(value)
		if err != nil {
			return nil, err
		}
		for _, n := range list {
			want[n] = true
		}
		return func(r record) bool {
			switch v := lookup(r, field).(type) {
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
	return func(value string) (predicate, error) {
		t, ok := parseFilterTime(value)
		if !ok {
			return nil, errBadValue
		}
		return func(r record) bool {
			v, ok := asTime(lookup(r, field))
			if !ok {
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

// parseIDs reads a comma-separated list of integers, ascending and unique.
func parseIDs(value string) (idList, error) {
	var out idList
	for part := range strings.SplitSeq(value, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil {
			return nil, errBadValue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// asTime reads a timestamp held as a time.Time or in wire form.
func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case string:
		p, err := time.Parse(wireTime, t)
		return p, err == nil
	}
	return time.Time{}, false
}

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
	if x, ok := a.(time.Time); ok {
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
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
