package activities_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
)

const usersList = "GET /api/2/users"

// clientTries is how many times the OneLogin client sends a read that keeps
// failing (onelogin.Config.MaxAttempts' default); a full read then reads a
// failed page once more after the others.
const clientTries = 5

// A full sync, then every kind of change OneLogin can make to a user, then an
// incremental sync: the store equals the simulator's org field by field.
func TestSyncMirrorsOrgThroughIncrementalChanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	hidden := 0
	for _, a := range h.sim.Apps() {
		if !a.Visible {
			hidden++
		}
	}
	require.Positive(t, hidden, "the org needs hidden apps to check that only visible ones are listed")

	full := h.sync("acme-1", api.ModeIncremental)
	require.Equal(t, api.ModeFull, full.begin.Mode, "the first sync has no watermark, so it is full")
	require.Equal(t, 120, full.kinds[directory.KindUsers].Items)
	require.Equal(t, len(h.sim.Groups()), full.kinds[directory.KindGroups].Items)
	require.Equal(t, directory.RunCompleted, full.finish.Run.Status)
	h.requireMirrors("acme-1")

	// An hour later, OneLogin changes.
	h.clock.Advance(time.Hour)
	users := h.sim.Users()
	groups, roles := h.sim.Groups(), h.sim.Roles()
	created, err := h.sim.CreateUser(olsim.Fields{
		"email": "new.hire@acme.com", "username": "new.hire", "firstname": "New", "lastname": "Hire",
		"title": "Engineer", "department": "R&D", "company": "Acme", "phone": "+14155550000",
		"group_id": groups[1].ID, "manager_user_id": users[3].ID,
		"custom_attributes": map[string]any{"employee_id": "E999999", "location": "Lisbon"},
	})
	require.NoError(t, err)
	require.NoError(t, h.sim.AddUserRoles(created.ID, roles[0].ID, roles[2].ID))
	_, err = h.sim.CreateUser(olsim.Fields{"email": "contractor@acme.com"}) // the bare minimum
	require.NoError(t, err)

	profile := users[10]
	_, err = h.sim.UpdateUser(profile.ID, olsim.Fields{
		"email": "renamed@acme.com", "username": "renamed", "firstname": "Re", "lastname": "Named",
		"title": "VP", "department": "Sales", "company": "Acme EU", "phone": "", "manager_user_id": users[0].ID,
		"custom_attributes": map[string]any{"cost_center": "CC-777", "employee_id": nil},
	})
	require.NoError(t, err)
	mover := users[20]
	newGroup := groups[0].ID
	if mover.GroupID == newGroup {
		newGroup = groups[2].ID
	}
	require.NoError(t, h.sim.SetUserGroup(mover.ID, newGroup))
	require.NoError(t, h.sim.SetUserGroup(users[21].ID, 0)) // leaves every group
	require.NoError(t, h.sim.AddUserRoles(users[30].ID, roles[5].ID, roles[6].ID))
	if rs := users[31].RoleIDs; len(rs) > 0 {
		require.NoError(t, h.sim.RemoveUserRoles(users[31].ID, rs...))
	}
	_, err = h.sim.UpdateUser(users[40].ID, olsim.Fields{"status": 2}) // suspended
	require.NoError(t, err)
	_, err = h.sim.UpdateUser(users[41].ID, olsim.Fields{"state": 2}) // rejected
	require.NoError(t, err)
	h.clock.Advance(time.Minute)

	inc := h.sync("acme-1", api.ModeIncremental)
	require.Equal(t, api.ModeIncremental, inc.begin.Mode)
	require.Empty(t, inc.begin.Upgraded)
	require.True(t, inc.begin.UsersSince.Equal(full.kinds[directory.KindUsers].MaxUpdatedAt.Add(-activities.DefaultUsersOverlap)),
		"UsersSince %v, full read's newest updated_at %v", inc.begin.UsersSince, full.kinds[directory.KindUsers].MaxUpdatedAt)
	// The incremental read fetched exactly the users updated since then.
	changed := 0
	for _, u := range h.sim.Users() {
		if u.UpdatedAt.After(inc.begin.UsersSince) {
			changed++
		}
	}
	require.GreaterOrEqual(t, changed, 9)
	require.Less(t, changed, 40)
	require.Equal(t, changed, inc.kinds[directory.KindUsers].Items)
	require.Equal(t, 2, inc.kinds[directory.KindUsers].Created)

	h.requireMirrors("acme-1")
	// The watermark moved to the newest change.
	in, err := h.store.GetIntegration(h.ctx, "acme-1")
	require.NoError(t, err)
	require.True(t, in.UsersWatermark.Equal(epoch.Add(time.Hour)), "watermark %v", in.UsersWatermark)
}

// Deletions happen only on a full sync: an incremental one never removes a
// user, a full one removes exactly the users OneLogin no longer has.
func TestDeletionsOnlyOnFullSync(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	h.sync("acme-1", api.ModeFull)

	users := h.sim.Users()
	gone := []int64{users[0].ID, users[57].ID, users[119].ID} // first page, middle, last page
	for _, id := range gone {
		require.NoError(t, h.sim.DeleteUser(id))
	}
	h.clock.Advance(time.Hour)

	inc := h.sync("acme-1", api.ModeIncremental)
	require.Equal(t, api.ModeIncremental, inc.begin.Mode)
	require.Zero(t, inc.finish.Run.Users.Deleted)
	h.requirePresent("acme-1", gone...)
	require.EqualValues(t, 120, h.liveUsers("acme-1"))

	full := h.sync("acme-1", api.ModeFull)
	require.EqualValues(t, len(gone), full.finish.Run.Users.Deleted)
	require.Zero(t, full.finish.Confirmed)
	h.requireGone("acme-1", gone...)
	h.requireMirrors("acme-1")

	// A retried FinishSyncRun (its first answer lost) changes nothing.
	again := must[activities.FinishResult](h, h.acts.FinishSyncRun, h.finishInput("acme-1", full.begin,
		directory.RunCompleted, full.kinds[directory.KindUsers].MaxUpdatedAt))
	require.Equal(t, full.finish.Run, again.Run)
	h.requireMirrors("acme-1")
}

// A full user read that fails on its last page (an error status or a
// connection cut mid-body) fails SyncUsers retryably; finishing the run as
// anything but a complete read deletes nothing, not even users OneLogin
// really deleted.
func TestFailedFullReadDeletesNothing(t *testing.T) {
	t.Parallel()
	for _, fault := range []struct {
		name  string
		rule  olsim.FailAfter
		codes []errcode.Code
	}{
		{"500 on the last page", olsim.FailAfter{Endpoint: usersList, Count: 2, Status: 500, Times: -1}, []errcode.Code{errcode.ServerError}},
		{"503 gateway page on the last page", olsim.FailAfter{Endpoint: usersList, Count: 2, Status: 503, Times: -1}, []errcode.Code{errcode.ServerError}},
		{"connection reset on the last page", olsim.FailAfter{Endpoint: usersList, Count: 2, Reset: true, Times: -1}, []errcode.Code{errcode.Network, errcode.ServerError}},
	} {
		for _, finish := range []directory.RunStatus{directory.RunPartial, directory.RunFailed, directory.RunCompleted} {
			t.Run(fault.name+"/finished "+string(finish), func(t *testing.T) {
				t.Parallel()
				// One page at a time, so "the third request" is the last page.
				h := newHarness(t, olsim.Options{}, activities.Config{FullReadParallelism: 1})
				h.saveIntegration("acme-1", adminClientID)
				h.sync("acme-1", api.ModeFull)

				users := h.sim.Users()
				deleted := []int64{users[5].ID, users[110].ID}
				for _, id := range deleted {
					require.NoError(t, h.sim.DeleteUser(id))
				}
				h.sim.ResetCounters()
				h.sim.SetFaults(olsim.Faults{FailAfter: []olsim.FailAfter{fault.rule}})

				b := h.begin("acme-1", api.ModeFull)
				_, r := call[activities.KindResult](h, nil, h.acts.SyncUsers, kindInput("acme-1", b))
				ae := appErr(t, r.err)
				require.Contains(t, fault.codes, errcode.Code(ae.Type()), "error: %v", r.err)
				require.False(t, ae.NonRetryable())
				require.Equal(t, 2+2*clientTries, h.sim.RequestCount(usersList), "pages 1 and 2, then the failing last page, read twice")
				require.Equal(t, "1-2", r.progress()[len(r.progress())-1].PagesDone)

				// The other kinds read fine.
				for kind, fn := range h.kindFns() {
					if kind != directory.KindUsers {
						must[activities.KindResult](h, fn, kindInput("acme-1", b))
					}
				}
				res := must[activities.FinishResult](h, h.acts.FinishSyncRun, h.finishInput("acme-1", b, finish, time.Time{}))
				require.Equal(t, finish, res.Run.Status)
				require.Zero(t, res.Run.Users.Deleted)
				require.False(t, res.Run.Users.ReadComplete)
				require.Zero(t, h.sim.RequestCount("GET /api/2/users/:id"), "no confirmation calls for an incomplete read")
				h.requirePresent("acme-1", userIDs(users)...)
				require.EqualValues(t, 120, h.liveUsers("acme-1"))
			})
		}
	}
}

// Users deleted in OneLogin while a full read runs shift the later pages: the
// users that slid onto an already-read page are not seen by the read. The
// GET confirmation in FinishSyncRun keeps them; only users OneLogin really
// lost are deleted.
func TestDeletionsDuringFullReadCauseNoFalseDeletion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	h.sync("acme-1", api.ModeFull)

	users := h.sim.Users()
	h.sim.ResetCounters()
	readThenDeleted := userIDs(users[:5])              // on page 1: read before they go
	neverRead := []int64{users[110].ID, users[111].ID} // on page 3: gone before it is read
	var once sync.Once
	h.wrap(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			// Right after page 1 of the full read is written (the client
			// cannot finish reading it before this handler returns).
			if r.Method == http.MethodGet && r.URL.Path == "/t/acme/api/2/users" && r.URL.Query().Get("page") == "1" {
				once.Do(func() {
					for _, id := range append(slices.Clone(readThenDeleted), neverRead...) {
						if err := h.sim.DeleteUser(id); err != nil {
							t.Errorf("delete user %d: %v", id, err) // not FailNow: this is the server's goroutine
						}
					}
				})
			}
		})
	})

	b := h.begin("acme-1", api.ModeFull)
	kinds := map[directory.Kind]activities.KindResult{}
	for kind, fn := range h.kindFns() {
		kinds[kind] = must[activities.KindResult](h, fn, kindInput("acme-1", b))
	}
	finish := h.finishInput("acme-1", b, directory.RunCompleted, kinds[directory.KindUsers].MaxUpdatedAt)
	// A confirmation that fails is no proof of deletion: the finish fails
	// (retryably) and deletes no one.
	h.sim.SetFaults(olsim.Faults{FailAfter: []olsim.FailAfter{{Endpoint: usersList, Status: 500, Times: -1}}})
	_, r := call[activities.FinishResult](h, nil, h.acts.FinishSyncRun, finish)
	requireCode(t, r.err, errcode.ServerError, true)
	h.requirePresent("acme-1", neverRead...)
	require.EqualValues(t, 120, h.liveUsers("acme-1"))
	h.sim.SetFaults(olsim.Faults{})
	h.sim.ResetCounters()
	run := syncRun{begin: b, kinds: kinds, finish: must[activities.FinishResult](h, h.acts.FinishSyncRun, finish)}
	// Users 50..54 slid onto page 1 after it was read: the read missed them,
	// the confirmation found them.
	require.Equal(t, 5, run.finish.Confirmed)
	require.Equal(t, 1, h.sim.RequestCount(usersList), "one call asks for up to 50 unseen users by id")
	require.Zero(t, h.sim.RequestCount("GET /api/2/users/:id"))
	require.EqualValues(t, len(neverRead), run.finish.Run.Users.Deleted)
	h.requireGone("acme-1", neverRead...)
	for _, u := range h.sim.Users() {
		h.requirePresent("acme-1", u.ID)
	}
	// The page-1 users were read before they went: this run cannot know; the
	// next full sync removes them.
	h.requirePresent("acme-1", readThenDeleted...)
	h.wrap(func(next http.Handler) http.Handler { return next })
	next := h.sync("acme-1", api.ModeFull)
	require.EqualValues(t, len(readThenDeleted), next.finish.Run.Users.Deleted)
	h.requireGone("acme-1", readThenDeleted...)
	h.requireMirrors("acme-1")
}
