package directory

import "testing"

// testActionTargetsFirstSetStands records a request's resolved set in
// order, pages it, and keeps the first set when a retry records another.
func testActionTargetsFirstSetStands(t *testing.T, e *env) {
	e.integration(t, "a")
	e.integration(t, "b")
	users := make([]int64, 0, 2500)
	for i := range 2500 {
		users = append(users, int64(5000-i)) // not sorted: position is the order
	}
	n, err := e.s.PutActionTargets(e.ctx, "a", "req-1", users)
	ok(t, err)
	eq(t, "size", n, 2500)
	n, err = e.s.PutActionTargets(e.ctx, "a", "req-1", []int64{1, 2, 3})
	ok(t, err)
	eq(t, "size after a second set", n, 2500)
	var got []int64
	for off := 0; ; off += 1000 {
		page, err := e.s.ActionTargets(e.ctx, "a", "req-1", off, 1000)
		ok(t, err)
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
	}
	eq(t, "paged set", got, users)
	other, err := e.s.ActionTargets(e.ctx, "b", "req-1", 0, 10)
	ok(t, err)
	eq(t, "other integration", len(other), 0)
	_, err = e.s.PutActionTargets(e.ctx, "a", "req-2", []int64{1, 0})
	wantErr(t, err, ErrInvalid)
	_, err = e.s.PutActionTargets(e.ctx, "missing", "req-1", []int64{1})
	wantErr(t, err, ErrNotFound)
	_, err = e.s.ActionTargets(e.ctx, "a", "req-1", -1, 10)
	wantErr(t, err, ErrInvalid)
	n, err = e.s.PutActionTargets(e.ctx, "a", "req-empty", nil)
	ok(t, err)
	eq(t, "empty set", n, 0)
}
