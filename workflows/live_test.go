package workflows

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
)

// A users read of 35s: the workflow wakes every 10s, reads the heartbeats
// through LiveSyncProgress and shows them in its progress and details.
func TestSyncShowsLiveProgressWhileReading(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.BeginSync, mock.Anything, mock.Anything).Return(activities.BeginSyncResult{RunID: 7, Mode: api.ModeFull}, nil).Once()
	env.OnActivity(a.SyncUsers, mock.Anything, mock.Anything).After(35*time.Second).Return(kindResult("users", 5000), nil).Once()
	env.OnActivity(a.SyncGroups, mock.Anything, mock.Anything).Return(kindResult("groups", 5), nil).Once()
	env.OnActivity(a.SyncRoles, mock.Anything, mock.Anything).Return(kindResult("roles", 7), nil).Once()
	env.OnActivity(a.SyncApps, mock.Anything, mock.Anything).Return(kindResult("apps", 9), nil).Once()
	env.OnActivity(a.FinishSyncRun, mock.Anything, mock.Anything).Return(finished(0), nil).Once()
	wakes := 0
	env.OnActivity(a.LiveSyncProgress, mock.Anything, mock.MatchedBy(func(in activities.LiveInput) bool {
		return in.IntegrationID == "acme-tenant" && in.WorkflowID != "" && !in.Query
	})).Return(func(context.Context, activities.LiveInput) (activities.LiveResult, error) {
		wakes++
		return activities.LiveResult{Running: []activities.KindProgress{{Kind: "users", Pages: 10 * wakes, TotalPages: 100, Items: 499 * wakes}},
			BudgetRemaining: 4100, BudgetLimit: 5000}, nil
	})
	var mid api.SyncProgress
	env.RegisterDelayedCallback(func() {
		q, err := env.QueryWorkflow(api.ProgressQuery)
		require.NoError(t, err)
		require.NoError(t, q.Get(&mid))
	}, 25*time.Second)
	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant", Mode: api.ModeFull})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 3, wakes, "a wake at 10s, 20s and 30s of a 35s read")
	assert.Equal(t, 998, mid.Kinds["users"].Items, "the count after the 20s wake")
	assert.Equal(t, api.KindRunning, mid.Kinds["users"].State)
	assert.Equal(t, 4100, mid.BudgetRemaining)
	var res api.SyncResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, 5000, res.Users().Items, "the final count is the activity's, not a heartbeat's")
}

func TestRenderProgressFitsThePanel(t *testing.T) {
	p := api.SyncProgress{Phase: api.PhaseReading, Mode: api.ModeFull, RunID: 3, Calls: 1234, BudgetRemaining: 4999, BudgetLimit: 5000,
		Kinds: map[string]*api.KindStatus{
			"users":  {State: api.KindRunning, Pages: 99, Items: 4950},
			"groups": {State: api.KindDone, Items: 20},
			"roles":  {State: api.KindPending},
			"apps":   {State: api.KindFailed, Code: string(errcode.InsufficientScope)},
		}}
	md := renderProgress(p, map[string]int{"users": 200})
	lines := strings.Split(md, "  \n")
	require.Len(t, lines, 4)
	assert.Equal(t, "**4,950 users read** · page 99 of 200 · reading", lines[0], "users first")
	assert.Equal(t, "groups 20 done · roles waiting · apps failed (insufficient_scope)", lines[1])
	assert.Equal(t, "rate budget 4,999 of 5,000 left · 1,234 OneLogin calls", lines[2])
	assert.Equal(t, "full sync · run 3", lines[3])
	assert.NotContains(t, md, "/", "the UI renders 4999/5000 as a fraction")
	assert.NotContains(t, md, "|", "no table: the panel clips it")
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 12050: "12,050", 1234567: "1,234,567", -4500: "-4,500"} {
		assert.Equal(t, want, thousands(n))
	}
}

func TestLiveInterval(t *testing.T) {
	assert.Equal(t, 10*time.Second, liveInterval(0))
	assert.Equal(t, 30*time.Second, liveInterval(3*time.Minute))
	assert.Equal(t, time.Minute, liveInterval(time.Hour))
}

func TestKindAdviceCoversEveryCode(t *testing.T) {
	seen := map[string]errcode.Code{}
	for _, c := range errcode.All() {
		msg := kindAdvice("apps", c)
		assert.NotContains(t, msg, "run the sync again; if it repeats", "code %s has its own advice", c)
		if prev, ok := seen[msg]; ok && !(c.CredentialProblem() && prev.CredentialProblem()) && !(c.Retryable() && prev.Retryable()) {
			t.Errorf("%s and %s share advice %q", c, prev, msg)
		}
		seen[msg] = c
	}
}

// While its first sync runs, a connect wakes every 10s and shows the
// child's live progress (its query plus its heartbeats).
func TestConnectFollowsItsFirstSync(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.ValidateCredential, mock.Anything, mock.Anything).Return(activities.ValidateResult{Scope: "manage_all", CanAct: true}, nil).Once()
	env.OnActivity(a.SaveIntegration, mock.Anything, mock.Anything).Return(nil).Once()
	// The real SyncDirectory runs as the child, its users read taking 25s.
	env.OnActivity(a.BeginSync, mock.Anything, mock.Anything).Return(activities.BeginSyncResult{RunID: 7, Mode: api.ModeFull}, nil).Once()
	env.OnActivity(a.SyncUsers, mock.Anything, mock.Anything).After(25*time.Second).Return(kindResult("users", 3000), nil).Once()
	env.OnActivity(a.SyncGroups, mock.Anything, mock.Anything).Return(kindResult("groups", 5), nil).Once()
	env.OnActivity(a.SyncRoles, mock.Anything, mock.Anything).Return(kindResult("roles", 7), nil).Once()
	env.OnActivity(a.SyncApps, mock.Anything, mock.Anything).Return(kindResult("apps", 9), nil).Once()
	env.OnActivity(a.FinishSyncRun, mock.Anything, mock.Anything).Return(finished(0), nil).Once()
	env.OnActivity(a.EnsureSchedule, mock.Anything, mock.Anything).Return(activities.ScheduleResult{Created: true}, nil).Once()
	env.OnActivity(a.SetIntegrationStatus, mock.Anything, mock.Anything).Return(nil).Once()
	var asked []activities.LiveInput
	env.OnActivity(a.LiveSyncProgress, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.LiveInput) (activities.LiveResult, error) {
		if !in.Query {
			return activities.LiveResult{}, nil // the child reading itself
		}
		asked = append(asked, in)
		p := api.SyncProgress{Phase: api.PhaseReading, Mode: api.ModeFull, Kinds: map[string]*api.KindStatus{"users": {State: api.KindRunning}}}
		return activities.LiveResult{Progress: &p, Running: []activities.KindProgress{{Kind: "users", Items: 700, Pages: 14, TotalPages: 60}}}, nil
	})
	env.ExecuteWorkflow(ConnectIntegration, api.ConnectRequest{IntegrationID: "acme-tenant", Subdomain: "acme", ClientID: "id", ClientSecret: testSealed(t)})
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, asked, 2, "wakes at 10s and 20s of a 25s first sync")
	assert.True(t, asked[0].Query, "a parent asks its child's progress query too")
	assert.Equal(t, api.InitialSyncWorkflowID("acme-tenant"), asked[0].WorkflowID)
	assert.NotEmpty(t, asked[0].RunID)
	md := renderProgress(api.SyncProgress{Phase: api.PhaseReading, Mode: api.ModeFull,
		Kinds: map[string]*api.KindStatus{"users": {State: api.KindRunning, Items: 700, Pages: 14}}}, map[string]int{"users": 60})
	assert.Contains(t, md, "**700 users read** · page 14 of 60")
}

// A sync that cannot start says why and what to do, without the activity
// error's wrapping; a cancelled one still ends cancelled.
func TestSyncNotStartedSaysWhatToDo(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.BeginSync, mock.Anything, mock.Anything).Return(activities.BeginSyncResult{},
		temporal.NewNonRetryableApplicationError("integration acme-tenant is disconnected", string(errcode.NotFound), nil)).Once()
	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant"})
	var ae *temporal.ApplicationError
	require.ErrorAs(t, env.GetWorkflowError(), &ae)
	assert.Equal(t, "sync not started (not_found): integration acme-tenant is disconnected. The integration is not connected (never, or disconnected): connect it, then sync.", ae.Message())
	assert.Equal(t, string(errcode.NotFound), ae.Type())

	env = newEnv(t)
	env.OnActivity(a.BeginSync, mock.Anything, mock.Anything).After(time.Minute).Return(activities.BeginSyncResult{}, nil)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Second)
	env.ExecuteWorkflow(SyncDirectory, api.SyncRequest{IntegrationID: "acme-tenant"})
	assert.True(t, temporal.IsCanceledError(env.GetWorkflowError()), "got %v", env.GetWorkflowError())
}

func TestConnectTransientFailureIsPlain(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.ValidateCredential, mock.Anything, mock.Anything).Return(activities.ValidateResult{},
		temporal.NewNonRetryableApplicationError("dial tcp: connection refused", string(errcode.Network), nil))
	env.ExecuteWorkflow(ConnectIntegration, api.ConnectRequest{IntegrationID: "acme-tenant", Subdomain: "acme", ClientID: "id", ClientSecret: testSealed(t)})
	var ae *temporal.ApplicationError
	require.ErrorAs(t, env.GetWorkflowError(), &ae)
	assert.Equal(t, "OneLogin could not be reached to check the credential (network): dial tcp: connection refused. Nothing was saved; connect again later.", ae.Message())
	assert.NotContains(t, ae.Message(), "activity error")
}
