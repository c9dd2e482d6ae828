package directory

import "testing"

// Writes of single objects by id, as the events workflow makes them,
// outside any sync run.

func testPutGroupAndRole(t *testing.T, e *env) {
	e.integration(t, "a")
	e.integration(t, "b")
	changed, err := e.s.PutGroup(e.ctx, "a", Group{OneLoginID: 5, Name: "Sales"})
	ok(t, err)
	eq(t, "new group changed", changed, true)
	changed, err = e.s.PutGroup(e.ctx, "a", Group{OneLoginID: 5, Name: "Sales"})
	ok(t, err)
	eq(t, "same group unchanged", changed, false)
	changed, err = e.s.PutGroup(e.ctx, "a", Group{OneLoginID: 5, Name: "Sales EMEA"})
	ok(t, err)
	eq(t, "renamed group changed", changed, true)
	changed, err = e.s.PutRole(e.ctx, "a", Role{OneLoginID: 8, Name: "Admins"})
	ok(t, err)
	eq(t, "new role changed", changed, true)
	changed, err = e.s.PutRole(e.ctx, "a", Role{OneLoginID: 8, Name: "Admins"})
	ok(t, err)
	eq(t, "same role unchanged", changed, false)

	gs, err := e.s.Groups(e.ctx, "a")
	ok(t, err)
	eq(t, "groups", len(gs), 1)
	eq(t, "group", [2]any{gs[0].OneLoginID, gs[0].Name}, [2]any{int64(5), "Sales EMEA"})
	rs, err := e.s.Roles(e.ctx, "a")
	ok(t, err)
	eq(t, "roles", len(rs), 1)
	eq(t, "role", [2]any{rs[0].OneLoginID, rs[0].Name}, [2]any{int64(8), "Admins"})
	gs, err = e.s.Groups(e.ctx, "b")
	ok(t, err)
	eq(t, "other tenant sees nothing", len(gs), 0)

	_, err = e.s.PutGroup(e.ctx, "missing", Group{OneLoginID: 1, Name: "x"})
	wantErr(t, err, ErrNotFound)
	_, err = e.s.PutRole(e.ctx, "missing", Role{OneLoginID: 1, Name: "x"})
	wantErr(t, err, ErrNotFound)
	_, err = e.s.PutGroup(e.ctx, "a", Group{OneLoginID: 0, Name: "x"})
	wantErr(t, err, ErrInvalid)
}

func testDeleteUserByID(t *testing.T, e *env) {
	e.integration(t, "a")
	e.integration(t, "b")
	e.seedUsers(t, "a", 3)
	e.seedUsers(t, "b", 3)

	deleted, err := e.s.DeleteUser(e.ctx, "a", 2)
	ok(t, err)
	eq(t, "deleted", deleted, true)
	eq(t, "live in a", e.liveUserIDs(t, "a", 1, 2, 3), []int64{1, 3})
	eq(t, "b untouched", e.liveUserIDs(t, "b", 1, 2, 3), []int64{1, 2, 3})

	// Again, and for an id never stored: nothing to do, no error.
	deleted, err = e.s.DeleteUser(e.ctx, "a", 2)
	ok(t, err)
	eq(t, "second delete", deleted, false)
	deleted, err = e.s.DeleteUser(e.ctx, "a", 404)
	ok(t, err)
	eq(t, "unknown id", deleted, false)
	_, err = e.s.DeleteUser(e.ctx, "missing", 1)
	wantErr(t, err, ErrNotFound)

	// A later write revives the user.
	changed, err := e.s.PutUser(e.ctx, "a", user(2))
	ok(t, err)
	eq(t, "revived", changed, true)
	eq(t, "live again", e.liveUserIDs(t, "a", 1, 2, 3), []int64{1, 2, 3})

	// A full run in flight that later sweeps counts nothing for a user
	// deleted outside it, and deletes only what it did not see.
	run := e.start(t, "a", SyncFull)
	e.upsertUsers(t, "a", run, user(1), user(2))
	deleted, err = e.s.DeleteUser(e.ctx, "a", 1)
	ok(t, err)
	eq(t, "deleted during run", deleted, true)
	ok(t, e.s.CompleteRead(e.ctx, "a", run, KindUsers))
	n, err := e.s.Sweep(e.ctx, "a", run, KindUsers)
	ok(t, err)
	eq(t, "swept only the unseen user", n, int64(1))
	eq(t, "live after sweep", e.liveUserIDs(t, "a", 1, 2, 3), []int64{2})
}
