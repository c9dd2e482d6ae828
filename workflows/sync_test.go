package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
)

var watermark = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func kindResult(kind string, items int) activities.KindResult {
	return activities.KindResult{KindProgress: activities.KindProgress{Kind: kind, Pages: 1 + items/50, Items: items, Created: items, Calls: int64(1 + items/50)}}
}

// mockSync mocks a run whose four reads succeed, except apps when appsErr
// is set.
func mockSync(env *testsuite.TestWorkflowEnvironment, mode string, appsErr error) {
	env.OnActivity(a.BeginSync, mock.Anything, mock.MatchedBy(func(in activities.BeginSyncInput) bool {
		return in.IntegrationID == "acme-tenant" && in.Key != ""
	})).Return(activities.BeginSyncResult{RunID: 7, Mode: mode, Watermark: watermark}, nil).Once()
	users := kindResult("users", 120)
	users.MaxUpdatedAt = watermark.Add(time.Hour)
	env.OnActivity(a.SyncUsers, mock.Anything, mock.MatchedBy(func(in activities.SyncKindInput) bool {
		return in.RunID == 7 && in.Mode == mode
	})).Return(users, nil).Once()
	env.OnActivity(a.SyncGroups, mock.Anything, mock.Anything).Return(kindResult("groups", 5), nil).Once()
	env.OnActivity(a.SyncRoles, mock.Anything, mock.Anything).Return(kindResult("roles", 7), nil).Once()
	apps := kindResult("apps", 9)
	apps.BudgetRemaining, apps.BudgetLimit = 4900, 5000
	if appsErr != nil {
		apps = activities.KindResult{}
	}
	env.OnActivity(a.SyncApps, mock.Anything, mock.Anything).Return(apps, appsErr).Once()
}

func finished(deletedUsers int64) activities.FinishResult {
	return activities.FinishResult{Run: directory.SyncRun{ID: 7, Status: directory.RunCompleted,
		Users: directory.KindCounts{Deleted: deletedUsers}, OneLoginCalls: 9}}
}

func TestSyncSuccess(t *testing.T) {
	env := newEnv(t)
	mockSync(env, api.ModeFull, nil)
	env.OnActivity(a.FinishSyncRun, mock.Anything, mock.MatchedBy(func(in activities.FinishInput) bool {
		return in.RunID == 7 && in.Status == api.SyncStatusCompleted && in.Mode == api.ModeFull &&
			in.Watermark.Equal(watermark.Add(time.Hour)) && in.Calls == 6 && in.ErrorCode == ""
	})).Return(finished(3), nil).Once()

	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant", Mode: api.ModeFull})
	require.NoError(t, env.GetWorkflowError())
	var res api.SyncResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, api.SyncStatusCompleted, res.Status)
	assert.Equal(t, 120, res.Users().Items)
	assert.EqualValues(t, 3, res.Users().Deleted)
	assert.EqualValues(t, 9, res.Calls)
	env.AssertExpectations(t)

	q, err := env.QueryWorkflow(api.ProgressQuery)
	require.NoError(t, err)
	var p api.SyncProgress
	require.NoError(t, q.Get(&p))
	assert.Equal(t, api.PhaseDone, p.Phase)
	assert.Equal(t, 4900, p.BudgetRemaining)
	for _, k := range directory.Kinds {
		assert.Equal(t, api.KindDone, p.Kinds[string(k)].State, k)
	}
}

func TestSyncDefaultsToIncremental(t *testing.T) {
	env := newEnv(t)
	mockSync(env, api.ModeIncremental, nil)
	env.OnActivity(a.FinishSyncRun, mock.Anything, mock.Anything).Return(finished(0), nil)
	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant"})
	require.NoError(t, env.GetWorkflowError())
	env.AssertCalled(t, "BeginSync", mock.Anything, mock.MatchedBy(func(in activities.BeginSyncInput) bool { return in.Mode == api.ModeIncremental }))
}

func TestSyncPartialFailureDeletesNothing(t *testing.T) {
	env := newEnv(t)
	mockSync(env, api.ModeFull, temporal.NewNonRetryableApplicationError("apps need Read All", string(errcode.InsufficientScope), nil))
	env.OnActivity(a.FinishSyncRun, mock.Anything, mock.MatchedBy(func(in activities.FinishInput) bool {
		// partial: the activity sweeps only completed runs, and the
		// watermark is passed but only moves on completion.
		return in.Status == api.SyncStatusPartial && in.ErrorCode == string(errcode.InsufficientScope)
	})).Return(activities.FinishResult{Run: directory.SyncRun{ID: 7, Status: directory.RunPartial}}, nil).Once()

	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant", Mode: api.ModeFull})
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.Equal(t, errcode.InsufficientScope, errcode.Of(err))
	env.AssertExpectations(t)

	q, qerr := env.QueryWorkflow(api.ProgressQuery)
	require.NoError(t, qerr)
	var p api.SyncProgress
	require.NoError(t, q.Get(&p))
	assert.Equal(t, api.PhasePartial, p.Phase, "the details agree with OneLoginSyncStatus=partial")
	assert.Equal(t, api.KindFailed, p.Kinds["apps"].State)
	assert.Equal(t, "apps need Read All", p.Kinds["apps"].Error, "no Temporal wrapping in what people read")
	assert.Equal(t, string(errcode.InsufficientScope), p.Kinds["apps"].Code)
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, ae.Message(), "sync partial: apps not read (insufficient_scope): the API credential cannot read apps: give it Read All")
	assert.Contains(t, ae.Message(), "Read and stored: users, groups, roles; nothing was deleted")
	assert.NotContains(t, ae.Message(), "activity error")
	assert.Equal(t, api.KindDone, p.Kinds["users"].State)
}

func TestSyncRateLimitWaitsForAnnouncedReset(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.BeginSync, mock.Anything, mock.Anything).Return(activities.BeginSyncResult{RunID: 7, Mode: api.ModeFull}, nil)
	var attempts []time.Time
	env.OnActivity(a.SyncUsers, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.SyncKindInput) (activities.KindResult, error) {
			attempts = append(attempts, env.Now())
			if len(attempts) == 1 {
				return activities.KindResult{}, temporal.NewApplicationErrorWithOptions("429", string(errcode.RateLimited),
					temporal.ApplicationErrorOptions{NextRetryDelay: 17 * time.Minute})
			}
			return kindResult("users", 10), nil
		})
	env.OnActivity(a.SyncGroups, mock.Anything, mock.Anything).Return(kindResult("groups", 1), nil)
	env.OnActivity(a.SyncRoles, mock.Anything, mock.Anything).Return(kindResult("roles", 1), nil)
	env.OnActivity(a.SyncApps, mock.Anything, mock.Anything).Return(kindResult("apps", 1), nil)
	env.OnActivity(a.FinishSyncRun, mock.Anything, mock.Anything).Return(finished(0), nil)

	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant", Mode: api.ModeFull})
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, attempts, 2)
	gap := attempts[1].Sub(attempts[0])
	assert.GreaterOrEqual(t, gap, 17*time.Minute, "the retry waited for the announced reset")
	assert.Less(t, gap, 18*time.Minute, "and not for the usual backoff on top")
}

func TestSyncBeginFailure(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.BeginSync, mock.Anything, mock.Anything).
		Return(activities.BeginSyncResult{}, temporal.NewNonRetryableApplicationError("no such integration", string(errcode.NotFound), nil))
	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant"})
	assert.Equal(t, errcode.NotFound, errcode.Of(env.GetWorkflowError()))
	env.AssertNotCalled(t, "SyncUsers", mock.Anything, mock.Anything)
}

func TestSyncBadInput(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant", Mode: "sometimes"})
	assert.Equal(t, errcode.InvalidInput, errcode.Of(env.GetWorkflowError()))
}

// TestSyncResumesFromHeartbeat shows the kind activities' options carry a
// heartbeat across attempts: the retry starts where the failed one stopped.
func TestSyncResumesFromHeartbeat(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.BeginSync, mock.Anything, mock.Anything).Return(activities.BeginSyncResult{RunID: 7, Mode: api.ModeFull}, nil)
	var resumedFrom []activities.KindProgress
	env.OnActivity(a.SyncUsers, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, _ activities.SyncKindInput) (activities.KindResult, error) {
			if !activity.HasHeartbeatDetails(ctx) {
				activity.RecordHeartbeat(ctx, activities.KindProgress{Kind: "users", DonePages: []int{1, 2, 3}, Pages: 3, Items: 150})
				return activities.KindResult{}, temporal.NewApplicationError("connection reset", string(errcode.Network))
			}
			var p activities.KindProgress
			require.NoError(t, activity.GetHeartbeatDetails(ctx, &p))
			resumedFrom = append(resumedFrom, p)
			p.DonePages, p.Pages, p.Items = append(p.DonePages, 4), 4, 180
			return activities.KindResult{KindProgress: p}, nil
		})
	env.OnActivity(a.SyncGroups, mock.Anything, mock.Anything).Return(kindResult("groups", 1), nil)
	env.OnActivity(a.SyncRoles, mock.Anything, mock.Anything).Return(kindResult("roles", 1), nil)
	env.OnActivity(a.SyncApps, mock.Anything, mock.Anything).Return(kindResult("apps", 1), nil)
	env.OnActivity(a.FinishSyncRun, mock.Anything, mock.Anything).Return(finished(0), nil)

	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant", Mode: api.ModeFull})
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, resumedFrom, 1)
	assert.Equal(t, []int{1, 2, 3}, resumedFrom[0].DonePages)
	var res api.SyncResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, 180, res.Users().Items)
}

// TestSyncGivesWayToARunningSync: BeginSync found another sync of the
// integration running, so this one reads nothing and ends as skipped.
func TestSyncGivesWayToARunningSync(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.BeginSync, mock.Anything, mock.Anything).
		Return(activities.BeginSyncResult{Busy: "onelogin-sync/acme-tenant-2026-12-01T10:15:00Z"}, nil).Once()
	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant", Mode: api.ModeFull})
	require.NoError(t, env.GetWorkflowError())
	var res api.SyncResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, api.SyncStatusSkipped, res.Status)
	assert.Equal(t, "onelogin-sync/acme-tenant-2026-12-01T10:15:00Z", res.SkippedFor)
	env.AssertNotCalled(t, "SyncUsers", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "FinishSyncRun", mock.Anything, mock.Anything)
}
