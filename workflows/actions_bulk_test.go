package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// fakeBulk stands in for the store and OneLogin behind the bulk engine's
// activities, and outlives one test environment, as the store outlives a
// run: targets resolve to users 1001..1000+members, a real chunk "writes"
// each user it works and records it final.
type fakeBulk struct {
	mu       sync.Mutex
	members  int
	resolves int
	sets     map[string]int
	final    map[int64]directory.Outcome
	writes   map[int64]int
	chunks   []activities.ActionChunkInput
	// failFrom fails every user at or after this position (0: none).
	failFrom int
	// budget, when set, is the v1 budget each chunk reports, having spent
	// two calls per user.
	budget *onelogin.RateLimit
}

func newFakeBulk(members int) *fakeBulk {
	return &fakeBulk{members: members, sets: map[string]int{}, final: map[int64]directory.Outcome{}, writes: map[int64]int{}}
}

// install mocks the engine's activities on env; slowOffset delays the
// chunk at that offset by an hour (0: none), so a cancel can land in it.
func (f *fakeBulk) install(env *actionEnv, slowOffset int) {
	env.OnActivity(a.ResolveActionTargets, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ResolveTargetsInput) (activities.ResolveTargetsResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.resolves++
			if n, ok := f.sets[in.RequestID]; ok {
				return activities.ResolveTargetsResult{Total: n, Reused: true}, nil
			}
			f.sets[in.RequestID] = f.members
			return activities.ResolveTargetsResult{Total: f.members}, nil
		})
	chunk := func(_ context.Context, in activities.ActionChunkInput) (activities.ActionChunkResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.chunks = append(f.chunks, in)
		res := activities.ActionChunkResult{}
		for pos := in.Offset; pos < min(in.Offset+in.Limit, f.sets[in.RequestID]); pos++ {
			id := int64(1001 + pos)
			res.Users++
			switch {
			case f.final[id].Final():
				res.Resumed++
			case f.failFrom > 0 && pos >= f.failFrom:
				res.Failed++
				res.FailedByCode = map[errcode.Code]int{errcode.NotFound: res.Failed}
				f.final[id] = directory.OutcomeFailed
			case in.DryRun:
				res.WouldChange++
				f.final[id] = directory.OutcomeWouldChange
			default:
				res.Changed++
				f.writes[id]++
				f.final[id] = directory.OutcomeChanged
			}
			if in.Details {
				res.Results = append(res.Results, activities.ChunkUserResult{UserID: id,
					UserStepResult: activities.UserStepResult{Outcome: string(f.final[id])}})
			}
		}
		if f.budget != nil {
			res.Budget, res.Calls = f.budget, 2*res.Users
		}
		return res, nil
	}
	if slowOffset > 0 {
		env.OnActivity(a.RunActionChunk, mock.Anything, mock.MatchedBy(func(in activities.ActionChunkInput) bool { return in.Offset == slowOffset })).
			After(time.Hour).Return(chunk)
	}
	env.OnActivity(a.RunActionChunk, mock.Anything, mock.Anything).Return(chunk)
	env.OnActivity(a.CountActionOutcomes, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.OutcomeCountsInput) (directory.OutcomeCounts, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			var c directory.OutcomeCounts
			for _, o := range f.final {
				switch o {
				case directory.OutcomeChanged:
					c.Changed++
				case directory.OutcomeWouldChange:
					c.WouldChange++
				case directory.OutcomeFailed:
					c.Failed++
				}
			}
			return c, nil
		})
}

func groupTarget(group int64) api.ActionRequest {
	return api.ActionRequest{IntegrationID: "acme-tenant", RequestID: "req-bulk", RequestedBy: "agent@acme",
		TargetGroupIDs: []int64{group}, ChunkSize: 10}
}

// runToEnd runs the workflow and every run it continues as, each in a
// fresh environment, and returns the last result and the number of runs.
func runToEnd(t *testing.T, f *fakeBulk, workflowType string, req any) (api.ActionResult, int, *actionEnv) {
	t.Helper()
	for runs := 1; ; runs++ {
		require.Less(t, runs, 50, "the run never ended")
		env := newBulkEnv(t)
		f.install(env, 0)
		env.ExecuteWorkflow(workflowType, req)
		require.True(t, env.IsWorkflowCompleted())
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if temporal.IsCanceledError(err) || err == nil {
			var res api.ActionResult
			if err == nil {
				require.NoError(t, env.GetWorkflowResult(&res))
			}
			return res, runs, env
		}
		require.ErrorAs(t, err, &can)
		assert.Equal(t, workflowType, can.WorkflowType.Name)
		next := api.ActionRequest{}
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
		require.NotNil(t, next.Resume)
		assert.Empty(t, next.TargetGroupIDs, "a continued run carries no targets: they are in the store")
		req = next
	}
}

// TestBulkEngineChunksAndContinuesAsNew: 55 members in chunks of 10, at
// most 2 chunks per run: three runs, one resolution, every user worked
// once, counts from the store.
func TestBulkEngineChunksAndContinuesAsNew(t *testing.T) {
	defer func(n int) { maxChunksPerRun = n }(maxChunksPerRun)
	maxChunksPerRun = 2
	f := newFakeBulk(55)
	res, runs, env := runToEnd(t, f, api.SuspendUsersWorkflow, groupTarget(7))
	assert.Equal(t, 3, runs)
	assert.Equal(t, 1, f.resolves)
	assert.Len(t, f.writes, 55)
	for id, n := range f.writes {
		assert.Equal(t, 1, n, "user %d", id)
	}
	assert.Equal(t, 55, res.Total)
	assert.Equal(t, 55, res.Changed)
	assert.Equal(t, 55, res.Done)
	assert.Equal(t, api.ActionOutcomeOK, res.Outcome)
	assert.Len(t, res.Users, 55, "a small request lists its users")
	require.Len(t, env.audits, 1)
	assert.Equal(t, "suspend_users", env.audits[0].Action)
	var chunks []int64
	for _, c := range f.chunks {
		chunks = append(chunks, c.Chunk)
		assert.Equal(t, activities.StepSuspend, c.Step)
	}
	assert.Equal(t, []int64{0, 1, 2, 3, 4, 5}, chunks)
}

// TestBulkEngineCancelThenRerunResumes: a cancel lands in the third chunk;
// the run is audited with what it did; a rerun of the request reuses the
// recorded set, skips the final users and never works one twice.
func TestBulkEngineCancelThenRerunResumes(t *testing.T) {
	f := newFakeBulk(50)
	env := newBulkEnv(t)
	f.install(env, 20)
	env.RegisterDelayedCallback(env.CancelWorkflow, 30*time.Minute)
	env.ExecuteWorkflow(api.SuspendUsersWorkflow, groupTarget(7))
	require.True(t, env.IsWorkflowCompleted())
	require.True(t, temporal.IsCanceledError(env.GetWorkflowError()), "%v", env.GetWorkflowError())
	require.Len(t, env.audits, 1, "the cancelled run is audited")
	done := len(f.writes)
	require.Less(t, done, 50)
	require.GreaterOrEqual(t, done, 20)

	res, _, _ := runToEnd(t, f, api.SuspendUsersWorkflow, groupTarget(7))
	assert.Equal(t, 2, f.resolves)
	assert.Len(t, f.writes, 50)
	for id, n := range f.writes {
		assert.Equal(t, 1, n, "user %d worked twice", id)
	}
	assert.Equal(t, 50, res.Changed)
	assert.Equal(t, api.ActionOutcomeOK, res.Outcome)
}

// TestBulkEngineDryRunWritesNothing: a dry run reports would_change and is
// audited apart from the real action.
func TestBulkEngineDryRunWritesNothing(t *testing.T) {
	f := newFakeBulk(25)
	req := groupTarget(7)
	req.DryRun = true
	res, _, env := runToEnd(t, f, api.SuspendUsersWorkflow, req)
	assert.Empty(t, f.writes)
	assert.True(t, res.DryRun)
	assert.Equal(t, 25, res.WouldChange)
	assert.Equal(t, 0, res.Changed)
	require.Len(t, env.audits, 1)
	assert.Equal(t, "suspend_users_dry_run", env.audits[0].Action)
	for _, c := range f.chunks {
		assert.True(t, c.DryRun)
		assert.Equal(t, "suspend_users_dry_run", c.Action)
	}
}

// TestBulkEngineLargeRequestKeepsCounts: past MaxResultUsers the result
// lists nobody and says so; failures are counted per code and make the
// outcome partial.
func TestBulkEngineLargeRequestKeepsCounts(t *testing.T) {
	f := newFakeBulk(api.MaxResultUsers + 200)
	f.failFrom = api.MaxResultUsers + 100
	req := groupTarget(7)
	req.ChunkSize = 500
	res, _, _ := runToEnd(t, f, api.AddUsersToGroupWorkflow, api.GroupRequest{ActionRequest: req, GroupID: 3})
	assert.True(t, res.UsersOmitted)
	assert.Empty(t, res.Users)
	assert.Equal(t, api.MaxResultUsers+100, res.Changed)
	assert.Equal(t, 100, res.Failed)
	assert.Equal(t, map[errcode.Code]int{errcode.NotFound: 100}, res.FailedByCode)
	assert.Equal(t, api.ActionOutcomePartial, res.Outcome)
	for _, c := range f.chunks {
		assert.Equal(t, int64(3), c.GroupID)
		assert.False(t, c.Details)
	}
}

// TestBulkEngineMissingTargetFailsFirst: a target group OneLogin does not
// have fails the action not_found; no chunk runs.
func TestBulkEngineMissingTargetFailsFirst(t *testing.T) {
	env := newBulkEnv(t)
	env.OnActivity(a.ResolveActionTargets, mock.Anything, mock.Anything).Return(activities.ResolveTargetsResult{},
		temporal.NewNonRetryableApplicationError("group 7 does not exist in OneLogin", string(errcode.NotFound), nil))
	env.ExecuteWorkflow(api.SuspendUsersWorkflow, groupTarget(7))
	require.True(t, env.IsWorkflowCompleted())
	assert.Equal(t, errcode.NotFound, errcode.Of(env.GetWorkflowError()))
	env.AssertNotCalled(t, "RunActionChunk", mock.Anything, mock.Anything)
}

// TestRemovalChecksTheGroupOrRoleFirst (issue "Not found is not done"):
// removals and the membership check ask BeginAction to check their group
// or role, so a missing one fails not_found before any user.
func TestRemovalChecksTheGroupOrRoleFirst(t *testing.T) {
	for name, run := range map[string]func(env *actionEnv){
		api.RemoveUsersFromGroupWorkflow: func(env *actionEnv) {
			env.ExecuteWorkflow(api.RemoveUsersFromGroupWorkflow, api.GroupRequest{ActionRequest: bulk(api.UserRef{ID: 1}), GroupID: 404})
		},
		api.CheckGroupMembershipWorkflow: func(env *actionEnv) {
			env.ExecuteWorkflow(api.CheckGroupMembershipWorkflow, api.GroupRequest{ActionRequest: bulk(api.UserRef{ID: 1}), GroupID: 404})
		},
		api.RemoveUsersFromRoleWorkflow: func(env *actionEnv) {
			env.ExecuteWorkflow(api.RemoveUsersFromRoleWorkflow, api.RoleRequest{ActionRequest: bulk(api.UserRef{ID: 1}), RoleID: 404})
		},
	} {
		t.Run(name, func(t *testing.T) {
			env := &actionEnv{TestWorkflowEnvironment: newEnv(t)}
			env.OnActivity(a.BeginAction, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.BeginActionInput) (activities.BeginActionResult, error) {
				if in.GroupID == 404 || (len(in.RoleIDs) == 1 && in.RoleIDs[0] == 404) {
					return activities.BeginActionResult{}, temporal.NewNonRetryableApplicationError("does not exist", string(errcode.NotFound), nil)
				}
				return activities.BeginActionResult{}, nil
			})
			run(env)
			require.True(t, env.IsWorkflowCompleted())
			assert.Equal(t, errcode.NotFound, errcode.Of(env.GetWorkflowError()))
		})
	}
}

// TestBulkEngineSaysWhenTheBudgetIsTheBottleneck: with 100 v1 calls left
// of 5,000 an hour and two calls per user, the 2,500 users left after the
// first chunk need 5,000 calls: 100 now and the rest after the reset, 30
// minutes away. The progress query says so mid-run.
func TestBulkEngineSaysWhenTheBudgetIsTheBottleneck(t *testing.T) {
	f := newFakeBulk(3000)
	env := newBulkEnv(t)
	f.budget = &onelogin.RateLimit{Limit: 5000, Remaining: 100, Reset: 30 * time.Minute, ObservedAt: env.Now()}
	f.install(env, 500) // the second chunk takes an hour
	var mid api.ActionResult
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(api.ProgressQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
	}, time.Minute)
	req := groupTarget(7)
	req.ChunkSize = 500
	env.ExecuteWorkflow(api.SuspendUsersWorkflow, req)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.NotNil(t, mid.Budget, "%+v", mid)
	assert.Equal(t, 500, mid.Done)
	assert.Equal(t, 2.0, mid.Budget.CallsPerUser)
	assert.Equal(t, int64(30*60), mid.Budget.RestSeconds)
	assert.Contains(t, mid.Budget.RestTakes, "30m0s at 5000 calls/hour")
}

// TestBulkEngineSmallResultNamesUsersAsRequested: a dry run over named
// users lists them in request order, as the request named them, with the
// id each resolved to; a user named by email is not listed twice.
func TestBulkEngineSmallResultNamesUsersAsRequested(t *testing.T) {
	f := newFakeBulk(3)
	env := newBulkEnv(t)
	env.OnActivity(a.ResolveActionTargets, mock.Anything, mock.Anything).Return(activities.ResolveTargetsResult{Total: 3,
		Unresolved: []activities.UnresolvedUserRef{{Index: 1, Code: errcode.NotFound, Message: "no OneLogin user has email ghost@acme.com"}},
		Resolved:   []int64{1002, 0, 1001}}, nil)
	f.sets["req-1"] = 3
	f.install(env, 0)
	req := bulk(api.UserRef{Email: "jane@acme.com"}, api.UserRef{Email: "ghost@acme.com"}, api.UserRef{ID: 1001})
	req.DryRun = true
	env.ExecuteWorkflow(api.SuspendUsersWorkflow, req)
	res := env.result(t)
	require.Len(t, res.Users, 4, "three named users, then the group member nobody named")
	assert.Equal(t, api.UserResult{User: api.UserRef{Email: "jane@acme.com"}, UserID: 1002, Outcome: "would_change"}, res.Users[0])
	assert.Equal(t, api.OutcomeFailed, res.Users[1].Outcome)
	assert.Equal(t, errcode.NotFound, res.Users[1].Code)
	assert.Equal(t, api.UserResult{User: api.UserRef{ID: 1001}, UserID: 1001, Outcome: "would_change"}, res.Users[2])
	assert.Equal(t, int64(1003), res.Users[3].UserID)
	assert.Equal(t, 3, res.WouldChange)
	assert.Equal(t, 1, res.Failed)
	assert.Equal(t, 4, res.Total)
	assert.Equal(t, api.ActionOutcomePartial, res.Outcome)
}
