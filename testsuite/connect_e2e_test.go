package testsuite

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
)

func TestConnectSyncsAndSchedules(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 300, Groups: 12, Roles: 20, Apps: 15})
	ctx := ctxT(t, 2*time.Minute)
	const id = "e2e-connect"

	run, err := h.starter.StartConnect(ctx, h.connectInput(id))
	require.NoError(t, err)
	res, err := run.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "manage_all", res.Scope)
	assert.True(t, res.CanAct)
	assert.Equal(t, "acme", res.Subdomain)
	assert.Equal(t, api.ModeFull, res.Sync.Mode)
	assert.Equal(t, 300, res.Sync.Users().Items)
	assert.True(t, res.ScheduleCreated)
	h.record("connect-success", run.GetID(), run.GetRunID())
	h.record("sync-initial-full", api.InitialSyncWorkflowID(id), "")

	st, err := h.store.IntegrationStatus(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, directory.StatusConnected, st.Integration.Status)
	assert.EqualValues(t, 300, st.Users)
	assert.EqualValues(t, 12, st.Groups)
	assert.EqualValues(t, 20, st.Roles)
	assert.Equal(t, "acme", st.Integration.Subdomain, "the subdomain is stored normalised")
	assert.NotContains(t, st.Integration.ClientSecret.String(), olsim.DefaultClientSecret)

	// The schedule exists with the documented policies.
	sched := h.client.ScheduleClient().GetHandle(ctx, api.ScheduleID(id))
	desc, err := sched.Describe(ctx)
	require.NoError(t, err)
	require.Len(t, desc.Schedule.Spec.Intervals, 1)
	assert.Equal(t, api.DefaultSyncInterval, desc.Schedule.Spec.Intervals[0].Every)
	assert.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, desc.Schedule.Policy.Overlap)
	assert.Equal(t, api.DefaultCatchupWindow, desc.Schedule.Policy.CatchupWindow)
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	assert.Equal(t, api.SyncWorkflow, action.Workflow)
	assert.Equal(t, h.queue, action.TaskQueue)

	// Change the org, trigger the schedule, and the store follows.
	target := h.sim.Users()[5]
	_, err = h.sim.UpdateUser(target.ID, olsim.Fields{"title": "Head of Replays"})
	require.NoError(t, err)
	require.NoError(t, sched.Trigger(ctx, client.ScheduleTriggerOptions{}))
	var started *client.ScheduleActionResult
	require.Eventually(t, func() bool {
		d, err := sched.Describe(ctx)
		if err != nil || len(d.Info.RecentActions) == 0 {
			return false
		}
		started = &d.Info.RecentActions[len(d.Info.RecentActions)-1]
		return started.StartWorkflowResult != nil
	}, 30*time.Second, 100*time.Millisecond)
	var sync api.SyncResult
	require.NoError(t, h.client.GetWorkflow(ctx, started.StartWorkflowResult.WorkflowID, started.StartWorkflowResult.FirstExecutionRunID).Get(ctx, &sync))
	assert.Equal(t, api.ModeIncremental, sync.Mode, "a fresh full sync makes the scheduled one incremental")
	assert.Equal(t, api.SyncStatusCompleted, sync.Status)
	assert.GreaterOrEqual(t, sync.Users().Items, 1)
	u, err := h.store.GetUser(ctx, id, target.ID)
	require.NoError(t, err)
	assert.Equal(t, "Head of Replays", u.Title)
	h.record("sync-scheduled-incremental", started.StartWorkflowResult.WorkflowID, started.StartWorkflowResult.FirstExecutionRunID)

	// Operators find runs by integration and status.
	require.Eventually(t, func() bool {
		resp, err := h.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("OneLoginIntegration = '%s' AND OneLoginSyncStatus = 'completed' AND WorkflowType = '%s'", id, api.SyncWorkflow),
		})
		return err == nil && len(resp.Executions) == 2
	}, 20*time.Second, 200*time.Millisecond, "the initial and the scheduled sync are listed")

	// An on-demand full sync deletes what OneLogin deleted (the events
	// workflow is stopped first: it would apply the deletion itself).
	h.stopEvents(ctx, id)
	gone := h.sim.Users()[9].ID
	require.NoError(t, h.sim.DeleteUser(gone))
	full, err := h.starter.Sync(ctx, api.SyncRequest{IntegrationID: id, Mode: api.ModeFull})
	require.NoError(t, err)
	assert.EqualValues(t, 1, full.Users().Deleted)
	_, err = h.store.GetUser(ctx, id, gone)
	assert.ErrorIs(t, err, directory.ErrNotFound)
	h.record("sync-on-demand-full-with-deletion", api.SyncWorkflowID(id), "")
}

func TestConnectFailuresReachTheCallerAsCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 20, Credentials: []olsim.Credential{
		{ClientID: olsim.DefaultClientID, ClientSecret: olsim.DefaultClientSecret, Scope: olsim.ScopeManageAll},
		{ClientID: "reader", ClientSecret: "reader-secret", Scope: olsim.ScopeReadUsers},
		{ClientID: "orphan", ClientSecret: "orphan-secret", Scope: olsim.ScopeManageAll, OwnerDeleted: true},
	}})
	cases := []struct {
		code   errcode.Code
		mutate func(*starter.ConnectInput)
	}{
		{errcode.InvalidCredentials, func(in *starter.ConnectInput) { in.ClientSecret = secret("wrong") }},
		{errcode.InsufficientScope, func(in *starter.ConnectInput) {
			in.ClientID, in.ClientSecret = "reader", secret("reader-secret")
		}},
		{errcode.SubdomainNotFound, func(in *starter.ConnectInput) { in.Subdomain = "acme-typo" }},
		{errcode.CredentialOwnerDeleted, func(in *starter.ConnectInput) {
			in.ClientID, in.ClientSecret = "orphan", secret("orphan-secret")
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.code), func(t *testing.T) {
			ctx := ctxT(t, time.Minute)
			id := "e2e-fail-" + string(tc.code)
			in := h.connectInput(id)
			tc.mutate(&in)
			run, err := h.starter.StartConnect(ctx, in)
			require.NoError(t, err)
			_, err = run.Get(ctx)
			require.Error(t, err)
			assert.Equal(t, tc.code, errcode.Of(err))
			st, err := h.store.GetIntegration(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, directory.IntegrationStatus(tc.code), st.Status)
			assert.NotEmpty(t, st.StatusMessage)
			h.record("connect-fails-"+string(tc.code), run.GetID(), run.GetRunID())
		})
	}
	t.Run("bad input is refused before starting", func(t *testing.T) {
		in := h.connectInput("e2e-bad")
		in.Subdomain = "acme.example.com"
		_, err := h.starter.StartConnect(ctxT(t, 10*time.Second), in)
		assert.Equal(t, errcode.InvalidInput, errcode.Of(err))
		var se *starter.Error
		require.True(t, errors.As(err, &se))
		assert.Equal(t, "subdomain", se.Field)
	})
}

func TestDuplicateStartsJoinTheRunningOne(t *testing.T) {
	t.Parallel()
	// Enough pages that the parallel user read (4 at a time) is still
	// running when the progress is polled.
	h := newHarness(t, olsim.Options{Users: 2000, Faults: olsim.Faults{Latency: 30 * time.Millisecond}})
	ctx := ctxT(t, 2*time.Minute)
	const id = "e2e-dup"
	first, err := h.starter.StartConnect(ctx, h.connectInput(id))
	require.NoError(t, err)
	second, err := h.starter.StartConnect(ctx, h.connectInput(id))
	require.NoError(t, err)
	assert.Equal(t, first.GetRunID(), second.GetRunID())
	_, err = first.Get(ctx)
	require.NoError(t, err)

	s1, err := h.starter.StartSync(ctx, api.SyncRequest{IntegrationID: id, Mode: api.ModeFull})
	require.NoError(t, err)
	s2, err := h.starter.StartSync(ctx, api.SyncRequest{IntegrationID: id, Mode: api.ModeFull})
	require.NoError(t, err)
	assert.Equal(t, s1.GetRunID(), s2.GetRunID())

	// Live progress while it runs: phase from the query, pages from heartbeats.
	require.Eventually(t, func() bool {
		p, err := h.ops.Progress(ctx, s1.GetID(), s1.GetRunID())
		return err == nil && p.Phase == api.PhaseReading && p.Kinds["users"].Pages > 0
	}, 30*time.Second, 50*time.Millisecond)
	_, err = s1.Get(ctx)
	require.NoError(t, err)
	p, err := h.ops.Progress(ctx, s1.GetID(), s1.GetRunID())
	require.NoError(t, err)
	assert.Equal(t, api.PhaseDone, p.Phase)
	assert.Equal(t, 2000, p.Kinds["users"].Items)
}

func TestTenThousandUsersKeepHistorySmall(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("syncs 10,000 users")
	}
	h := newHarness(t, olsim.Options{Users: 10000, Groups: 50, Roles: 100, Apps: 60})
	ctx := ctxT(t, 5*time.Minute)
	const id = "e2e-10k"
	res, err := h.starter.Connect(ctx, h.connectInput(id))
	require.NoError(t, err)
	assert.Equal(t, 10000, res.Sync.Users().Items)
	syncEvents := len(h.history(api.InitialSyncWorkflowID(id), "").Events)
	connectEvents := len(h.history(api.ConnectWorkflowID(id), "").Events)
	t.Logf("history events for 10,000 users: sync %d, connect %d", syncEvents, connectEvents)
	assert.Less(t, syncEvents, 100)
	assert.Less(t, connectEvents, 100)
	st, err := h.store.IntegrationStatus(ctx, id)
	require.NoError(t, err)
	assert.EqualValues(t, 10000, st.Users)
}

func TestWorkerRestartMidSyncResumes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 1500, Faults: olsim.Faults{Latency: 15 * time.Millisecond}})
	ctx := ctxT(t, 3*time.Minute)
	const id = "e2e-restart"
	run, err := h.starter.StartConnect(ctx, h.connectInput(id))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		p, err := h.ops.Progress(ctx, api.InitialSyncWorkflowID(id), "")
		return err == nil && p.Kinds["users"].Pages >= 6
	}, time.Minute, 20*time.Millisecond)
	h.worker.Stop()
	h.startWorker()
	_, err = run.Get(ctx)
	require.NoError(t, err)
	st, err := h.store.IntegrationStatus(ctx, id)
	require.NoError(t, err)
	assert.EqualValues(t, 1500, st.Users, "every user arrived once the new worker took over")
	pages := h.sim.RequestCount("GET /api/2/users")
	t.Logf("user pages fetched: %d for %d pages of data", pages, 1500/50)
	assert.Less(t, pages, 2*1500/50, "the retry resumed from heartbeated pages instead of starting over")
}

func TestDisconnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 30})
	ctx := ctxT(t, time.Minute)
	const id = "e2e-disconnect"
	_, err := h.starter.Connect(ctx, h.connectInput(id))
	require.NoError(t, err)
	require.NoError(t, h.starter.Disconnect(ctx, api.DisconnectRequest{IntegrationID: id, RequestedBy: "ops@olflow"}))
	_, err = h.client.ScheduleClient().GetHandle(ctx, api.ScheduleID(id)).Describe(ctx)
	var nf *serviceerror.NotFound
	assert.True(t, errors.As(err, &nf), "schedule deleted: %v", err)
	in, err := h.store.GetIntegration(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, directory.StatusDisconnected, in.Status)
	assert.Equal(t, 1, h.sim.RequestCount("POST /auth/oauth2/revoke"))
	_, err = h.starter.Sync(ctx, api.SyncRequest{IntegrationID: id, Mode: ""})
	assert.Equal(t, errcode.NotFound, errcode.Of(err))
	h.record("disconnect", api.DisconnectWorkflowID(id), "")
	h.record("sync-fails-disconnected", api.SyncWorkflowID(id), "")
}

func TestSyncWithScopeLostMidwayIsPartialAndDeletesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 80})
	ctx := ctxT(t, time.Minute)
	const id = "e2e-partial"
	_, err := h.starter.Connect(ctx, h.connectInput(id))
	require.NoError(t, err)
	h.stopEvents(ctx, id) // it would apply the deletion below itself
	// The admin narrows the credential to Read Users: apps are refused.
	require.NoError(t, h.sim.RemoveCredential(olsim.DefaultClientID))
	h.sim.AddCredential(olsim.Credential{ClientID: olsim.DefaultClientID, ClientSecret: olsim.DefaultClientSecret, Scope: olsim.ScopeReadUsers})
	gone := h.sim.Users()[0].ID
	require.NoError(t, h.sim.DeleteUser(gone))

	_, err = h.starter.Sync(ctx, api.SyncRequest{IntegrationID: id, Mode: api.ModeFull})
	require.Error(t, err)
	assert.Equal(t, errcode.InsufficientScope, errcode.Of(err))
	_, err = h.store.GetUser(ctx, id, gone)
	assert.NoError(t, err, "a partial run deletes nothing")
	runs, err := h.store.ListSyncRuns(ctx, id, 1)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, directory.RunPartial, runs[0].Status)
	assert.Equal(t, string(errcode.InsufficientScope), runs[0].ErrorCode)
	h.record("sync-fails-partial-scope-lost", api.SyncWorkflowID(id), "")

	require.Eventually(t, func() bool {
		resp, err := h.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("OneLoginIntegration = '%s' AND OneLoginSyncStatus = 'partial'", id)})
		return err == nil && len(resp.Executions) == 1
	}, 20*time.Second, 200*time.Millisecond, "operators can filter failed syncs")
}

func secret(s string) seal.Secret { return seal.NewSecret(s) }
