package activities

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
)

// biggestGroup is the simulator group with the most members, and them.
func (f *actionFixture) biggestGroup() (int64, []olsim.User) {
	by := map[int64][]olsim.User{}
	for _, u := range f.sim.Users() {
		if u.GroupID != 0 {
			by[u.GroupID] = append(by[u.GroupID], u)
		}
	}
	var best int64
	for g, us := range by {
		if len(us) > len(by[best]) || (len(us) == len(by[best]) && g < best) {
			best = g
		}
	}
	return best, by[best]
}

func (f *actionFixture) resolveTargets(in ResolveTargetsInput) (ResolveTargetsResult, error) {
	in.IntegrationID = actInteg
	var r ResolveTargetsResult
	err := f.exec(f.acts.ResolveActionTargets, in, &r)
	return r, err
}

// runChunks works the request's whole set in chunks of size and sums them.
func (f *actionFixture) runChunks(request string, total, size int, dry bool) ActionChunkResult {
	f.t.Helper()
	var sum ActionChunkResult
	for off, n := 0, int64(0); off < total; off, n = off+size, n+1 {
		var r ActionChunkResult
		require.NoError(f.t, f.exec(f.acts.RunActionChunk, ActionChunkInput{IntegrationID: actInteg, RequestID: request,
			Action: "suspend_users", Step: StepSuspend, DryRun: dry, Since: f.clock.Now(), Chunk: n, Offset: off, Limit: size,
			Parallelism: 4}, &r))
		sum.Users += r.Users
		sum.Changed += r.Changed
		sum.AlreadyDone += r.AlreadyDone
		sum.Failed += r.Failed
		sum.WouldChange += r.WouldChange
		sum.Resumed += r.Resumed
	}
	return sum
}

func suspendWrites(sim *olsim.Server) map[int64]int {
	out := map[int64]int{}
	for id, w := range sim.AllWrites() {
		if w[olsim.WriteSuspend] > 0 {
			out[id] = w[olsim.WriteSuspend]
		}
	}
	return out
}

// TestBulkGroupTargetDryRunPredictsAndResumeNeverActsTwice: a group
// target less one exclusion resolves to its members; a dry run writes
// nothing and predicts the real run's counts exactly; the real run suspends
// each member once; a rerun of the request works nobody again.
func TestBulkGroupTargetDryRunPredictsAndResumeNeverActsTwice(t *testing.T) {
	f := newActionFixture(t, olsim.Options{Users: 300})
	g, members := f.biggestGroup()
	require.Greater(t, len(members), 10)
	excluded := members[0]
	in := ResolveTargetsInput{GroupIDs: []int64{g}, Exclude: []api.UserRef{{Email: excluded.Email}},
		Users: []api.UserRef{{Email: "nobody@nowhere.example"}, {ID: members[1].ID}}}

	in.RequestID = "dry-1"
	dryTargets, err := f.resolveTargets(in)
	require.NoError(t, err)
	require.Equal(t, len(members)-1, dryTargets.Total)
	require.Len(t, dryTargets.Unresolved, 1)
	require.Equal(t, errcode.NotFound, dryTargets.Unresolved[0].Code)
	require.Equal(t, 0, dryTargets.Unresolved[0].Index)
	require.Equal(t, []int64{0, members[1].ID}, dryTargets.Resolved, "each explicit user's id, in request order")
	dry := f.runChunks("dry-1", dryTargets.Total, 7, true)
	require.Empty(t, f.sim.AllWrites(), "a dry run writes nothing")
	require.Equal(t, dryTargets.Total, dry.WouldChange+dry.AlreadyDone+dry.Failed)

	in.RequestID = "real-1"
	targets, err := f.resolveTargets(in)
	require.NoError(t, err)
	real := f.runChunks("real-1", targets.Total, 7, false)
	require.Positive(t, real.Changed)
	require.Equal(t, dry.WouldChange, real.Changed)
	require.Equal(t, dry.AlreadyDone, real.AlreadyDone)
	require.Equal(t, dry.Failed, real.Failed)
	writes := suspendWrites(f.sim)
	require.Len(t, writes, real.Changed)
	for id, n := range writes {
		require.Equal(t, 1, n, "user %d", id)
		require.NotEqual(t, excluded.ID, id, "the excluded user was touched")
	}
	counts, err := f.store.CountOutcomes(f.ctx, actInteg, "real-1")
	require.NoError(t, err)
	require.Equal(t, directory.OutcomeCounts{Changed: int64(real.Changed), AlreadyDone: int64(real.AlreadyDone)}, counts)

	// A rerun reuses the recorded set and skips every final user.
	again, err := f.resolveTargets(in)
	require.NoError(t, err)
	require.True(t, again.Reused)
	rerun := f.runChunks("real-1", again.Total, 50, false)
	require.Equal(t, targets.Total, rerun.Resumed)
	var detailed ActionChunkResult
	require.NoError(t, f.exec(f.acts.RunActionChunk, ActionChunkInput{IntegrationID: actInteg, RequestID: "real-1",
		Action: "suspend_users", Step: StepSuspend, Limit: 5, Parallelism: 2, Details: true}, &detailed))
	require.Len(t, detailed.Results, 5, "a small request's result lists the users an earlier run finished")
	for _, r := range detailed.Results {
		require.Contains(t, []string{api.OutcomeChanged, api.OutcomeAlreadyDone}, r.Outcome)
	}
	require.Equal(t, writes, suspendWrites(f.sim), "a rerun wrote again")
}

// TestBulkRoleTargetResolvesMembers: a role target is the role's users.
func TestBulkRoleTargetResolvesMembers(t *testing.T) {
	f := newActionFixture(t, olsim.Options{Users: 200})
	var role olsim.Role
	for _, r := range f.sim.Roles() {
		if len(r.UserIDs) > len(role.UserIDs) {
			role = r
		}
	}
	require.NotEmpty(t, role.UserIDs)
	res, err := f.resolveTargets(ResolveTargetsInput{RequestID: "role-1", RoleIDs: []int64{role.ID}})
	require.NoError(t, err)
	ids, err := f.store.ActionTargets(f.ctx, actInteg, "role-1", 0, 10000)
	require.NoError(t, err)
	require.Equal(t, len(role.UserIDs), res.Total)
	slices.Sort(ids)
	require.Equal(t, role.UserIDs, ids)
}

// TestBulkMissingTargetIsNotFound: a group or role that does not exist,
// or an exclusion that names nobody, fails before anything is recorded.
func TestBulkMissingTargetIsNotFound(t *testing.T) {
	f := newActionFixture(t, olsim.Options{})
	for name, in := range map[string]ResolveTargetsInput{
		"group":   {RequestID: "g", GroupIDs: []int64{987654}},
		"role":    {RequestID: "r", RoleIDs: []int64{987654}},
		"exclude": {RequestID: "x", GroupIDs: []int64{f.sim.Groups()[0].ID}, Exclude: []api.UserRef{{Email: "ghost@nowhere.example"}}},
	} {
		_, err := f.resolveTargets(in)
		requireFailure(t, err, errcode.NotFound, false)
		ids, err := f.store.ActionTargets(f.ctx, actInteg, in.RequestID, 0, 10)
		require.NoError(t, err)
		require.Empty(t, ids, name)
	}
	require.Empty(t, f.sim.AllWrites())
}

// TestBulkChunkStopsOnCredentialFailure: once the credential is refused,
// the chunk starts no more users and says why.
func TestBulkChunkStopsOnCredentialFailure(t *testing.T) {
	f := newActionFixture(t, olsim.Options{Users: 60})
	ids := userIDs(f.sim.Users())
	_, err := f.store.PutActionTargets(f.ctx, actInteg, "cred-1", ids)
	require.NoError(t, err)
	require.NoError(t, f.sim.RemoveCredential(olsim.DefaultClientID))
	f.sim.RevokeAllTokens()
	var r ActionChunkResult
	require.NoError(t, f.exec(f.acts.RunActionChunk, ActionChunkInput{IntegrationID: actInteg, RequestID: "cred-1",
		Action: "suspend_users", Step: StepSuspend, Limit: len(ids), Parallelism: 1}, &r))
	require.True(t, r.Stop.CredentialProblem(), "stop %q", r.Stop)
	require.Less(t, r.Failed, len(ids))
	require.Empty(t, f.sim.AllWrites())
}

func userIDs(us []olsim.User) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

// TestBulkChunkRetriesOnlyTheUsersLeft: 5xx on half the writes fail the
// chunk after the others are recorded; each retry (as Temporal would run
// it) works only the users without a final outcome, so every user is
// written once and the counts add up.
func TestBulkChunkRetriesOnlyTheUsersLeft(t *testing.T) {
	f := newActionFixture(t, olsim.Options{Users: 80})
	var ids []int64
	needed := 0
	for _, u := range f.sim.Users() {
		ids = append(ids, u.ID)
		if u.Status != 2 {
			needed++
		}
	}
	_, err := f.store.PutActionTargets(f.ctx, actInteg, "flaky-1", ids)
	require.NoError(t, err)
	f.sim.SetFaults(olsim.Faults{ErrorRate: 0.5, ErrorEndpoints: []string{"PUT /api/2/users/:id"}})
	in := ActionChunkInput{IntegrationID: actInteg, RequestID: "flaky-1", Action: "suspend_users", Step: StepSuspend,
		Limit: len(ids), Parallelism: 4, Since: f.clock.Now()}
	changed, attempts := 0, 0
	for ; attempts < 40; attempts++ {
		var r ActionChunkResult
		err := f.exec(f.acts.RunActionChunk, in, &r)
		if err == nil {
			changed += r.Changed
			break
		}
		requireFailure(t, err, errcode.ServerError, true)
	}
	require.Greater(t, attempts, 0, "the faults failed no attempt")
	counts, err := f.store.CountOutcomes(f.ctx, actInteg, "flaky-1")
	require.NoError(t, err)
	require.Equal(t, int64(needed), counts.Changed)
	require.Equal(t, int64(len(ids)-needed), counts.AlreadyDone)
	for id, n := range suspendWrites(f.sim) {
		require.Equal(t, 1, n, "user %d written twice", id)
	}
	require.Len(t, suspendWrites(f.sim), needed)
}

// TestBulkDryRunPredictsEachStep: for every bulk step, a dry run's
// per-user answer is what the real run then does: would_change where it
// changes, already_done where it leaves the user, failed where it fails.
func TestBulkDryRunPredictsEachStep(t *testing.T) {
	for _, step := range []string{StepSuspend, StepActivate, StepSetGroup, StepRemoveGroup, StepCheckGroup, StepAddRole,
		StepRemoveRole, StepResetLink} {
		t.Run(step, func(t *testing.T) {
			f := newActionFixture(t, olsim.Options{Users: 40})
			ids := userIDs(f.sim.Users())
			ids = append(ids, 999999999) // no such user: both fail not_found
			group, _ := f.biggestGroup()
			role := f.sim.Roles()[0].ID
			run := func(request string, dry bool) map[int64]string {
				_, err := f.store.PutActionTargets(f.ctx, actInteg, request, ids)
				require.NoError(t, err)
				var r ActionChunkResult
				require.NoError(t, f.exec(f.acts.RunActionChunk, ActionChunkInput{IntegrationID: actInteg, RequestID: request,
					Action: step, Step: step, GroupID: group, RoleID: role, DryRun: dry, Since: f.clock.Now(),
					Limit: len(ids), Parallelism: 4, Details: true}, &r))
				out := map[int64]string{}
				for _, u := range r.Results {
					require.NotEmpty(t, u.Outcome, "user %d", u.UserID)
					out[u.UserID] = u.Outcome
					if u.Code != "" {
						out[u.UserID] += "/" + string(u.Code)
					}
				}
				return out
			}
			dry := run("dry", true)
			require.Empty(t, f.sim.AllWrites(), "the dry run wrote")
			real := run("real", false)
			require.Len(t, dry, len(ids))
			for _, id := range ids {
				want := dry[id]
				if want == string(directory.OutcomeWouldChange) {
					want = api.OutcomeChanged
				}
				assert.Equal(t, want, real[id], "user %d", id)
			}
		})
	}
}

// TestBulkRequestIDNamesOneAction: a request id whose outcomes belong to
// another action is refused before anything is resolved or written.
func TestBulkRequestIDNamesOneAction(t *testing.T) {
	f := newActionFixture(t, olsim.Options{Users: 20})
	g, _ := f.biggestGroup()
	_, err := f.resolveTargets(ResolveTargetsInput{RequestID: "shared", Action: "suspend_users", GroupIDs: []int64{g}})
	require.NoError(t, err)
	f.runChunks("shared", 20, 20, false)
	_, err = f.resolveTargets(ResolveTargetsInput{RequestID: "shared", Action: "activate_users", GroupIDs: []int64{g}})
	requireFailure(t, err, errcode.Conflict, false)
	again, err := f.resolveTargets(ResolveTargetsInput{RequestID: "shared", Action: "suspend_users", GroupIDs: []int64{g}})
	require.NoError(t, err)
	require.True(t, again.Reused)
}
