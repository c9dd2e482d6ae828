package activities_test

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
)

func TestBeginSyncChoosesMode(t *testing.T) {
	t.Parallel()
	const overlap = 10 * time.Minute
	h := newHarness(t, olsim.Options{Users: 20}, activities.Config{UsersOverlap: overlap})
	h.saveIntegration("acme-1", adminClientID)

	// No watermark yet: an incremental request becomes full.
	first := h.begin("acme-1", api.ModeIncremental)
	require.Equal(t, api.ModeFull, first.Mode)
	require.Equal(t, "no watermark yet", first.Upgraded)
	require.True(t, first.UsersSince.IsZero())
	require.True(t, first.Watermark.IsZero())

	// Close it as the workflow would, with the users' newest updated_at.
	kinds := map[directory.Kind]activities.KindResult{}
	for kind, fn := range h.kindFns() {
		kinds[kind] = must[activities.KindResult](h, fn, kindInput("acme-1", first))
	}
	wm := kinds[directory.KindUsers].MaxUpdatedAt
	require.False(t, wm.IsZero())
	must[activities.FinishResult](h, h.acts.FinishSyncRun, h.finishInput("acme-1", first, directory.RunCompleted, wm))
	lastFull := h.clock.Now() // the store's clock is the simulator's

	for _, tc := range []struct {
		name     string
		at       time.Duration // since the last full sync
		mode     string
		wantMode string
		upgraded string
	}{
		{"incremental right after a full sync", time.Minute, api.ModeIncremental, api.ModeIncremental, ""},
		{"incremental at exactly the full-sync interval", 24 * time.Hour, api.ModeIncremental, api.ModeIncremental, ""},
		{"incremental past the full-sync interval", 24*time.Hour + time.Second, api.ModeIncremental, api.ModeFull,
			"last full sync older than 24h0m0s"},
		{"full asked for", time.Minute, api.ModeFull, api.ModeFull, ""},
	} {
		h.clock.Set(lastFull.Add(tc.at))
		b := h.begin("acme-1", tc.mode)
		require.Equal(t, tc.wantMode, b.Mode, tc.name)
		require.Equal(t, tc.upgraded, b.Upgraded, tc.name)
		require.True(t, b.Watermark.Equal(wm), "%s: watermark %v, want %v", tc.name, b.Watermark, wm)
		if tc.wantMode == api.ModeIncremental {
			require.True(t, b.UsersSince.Equal(wm.Add(-overlap)), "%s: UsersSince %v, want watermark - overlap", tc.name, b.UsersSince)
		} else {
			require.True(t, b.UsersSince.IsZero(), tc.name)
		}
		run, err := h.store.GetSyncRun(h.ctx, "acme-1", b.RunID)
		require.NoError(t, err)
		require.Equal(t, directory.SyncMode(tc.wantMode), run.Mode, tc.name)
		_, err = h.store.FinishSyncRun(h.ctx, "acme-1", b.RunID, directory.RunResult{Status: directory.RunFailed})
		require.NoError(t, err, "one sync at a time: close it before the next case")
		require.Equal(t, directory.RunRunning, run.Status, tc.name)
	}
}

// The workflow passes its run id as the key, so a retried BeginSync opens
// no second run, even when the mode decision would now differ.
func TestBeginSyncIsIdempotent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 20}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	h.sync("acme-1", api.ModeFull)
	lastFull := h.clock.Now()

	begin := func(mode, key string) activities.BeginSyncResult {
		return must[activities.BeginSyncResult](h, h.acts.BeginSync, activities.BeginSyncInput{IntegrationID: "acme-1", Mode: mode, Key: key})
	}
	// One sync per integration at a time: each run is closed before the
	// next key opens one (TestOneSyncAtATime covers overlaps).
	finish := func(r activities.BeginSyncResult) {
		_, err := h.store.FinishSyncRun(h.ctx, "acme-1", r.RunID, directory.RunResult{Status: directory.RunCompleted})
		require.NoError(t, err)
	}
	a, b := begin(api.ModeIncremental, "wf-A"), begin(api.ModeIncremental, "wf-A")
	require.Equal(t, a, b)
	finish(a)
	c := begin(api.ModeIncremental, "wf-B")
	require.NotEqual(t, a.RunID, c.RunID)
	finish(c)

	// First attempt one second before the full-sync interval runs out, the
	// retry one second after: the retry gets the run the key names.
	h.clock.Set(lastFull.Add(24*time.Hour - time.Second))
	first := begin(api.ModeIncremental, "wf-C")
	require.Equal(t, api.ModeIncremental, first.Mode)
	h.clock.Advance(2 * time.Second)
	again := begin(api.ModeIncremental, "wf-C")
	require.Equal(t, first, again)
	finish(first)
	// A fresh run is full now.
	require.Equal(t, api.ModeFull, begin(api.ModeIncremental, "wf-D").Mode)
}

func TestBeginSyncRefuses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 5}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	h.saveIntegration("gone", adminClientID)
	must[struct{}](h, h.acts.SetIntegrationStatus, activities.StatusInput{IntegrationID: "gone", Status: directory.StatusDisconnected, Message: "bye"})

	for _, tc := range []struct {
		name, integration, mode string
		code                    errcode.Code
	}{
		{"unknown integration", "nobody", api.ModeFull, errcode.NotFound},
		{"disconnected integration", "gone", api.ModeIncremental, errcode.NotFound},
		{"bad mode", "acme-1", "sometimes", errcode.InvalidInput},
		{"empty mode", "acme-1", "", errcode.InvalidInput},
	} {
		_, r := call[activities.BeginSyncResult](h, nil, h.acts.BeginSync, activities.BeginSyncInput{
			IntegrationID: tc.integration, Mode: tc.mode, Key: "k-" + tc.name})
		require.Error(t, r.err, tc.name)
		requireCode(t, r.err, tc.code, false)
	}
	runs, err := h.store.ListSyncRuns(h.ctx, "acme-1", 10)
	require.NoError(t, err)
	require.Empty(t, runs, "a refused BeginSync opens no run")
}

// fakeWorkflows answers DescribeWorkflowExecution from a map of statuses.
type fakeWorkflows struct {
	activities.WorkflowClient
	status map[string]enumspb.WorkflowExecutionStatus
}

func (f fakeWorkflows) DescribeWorkflowExecution(_ context.Context, id, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	st, ok := f.status[id]
	if !ok {
		return nil, serviceerror.NewNotFound("no such workflow")
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Status: st}}, nil
}

// TestOneSyncAtATime: a sync finds another of the integration whose
// workflow still runs and backs off (Busy names it); a run whose workflow
// is gone is closed as abandoned and blocks nothing.
func TestOneSyncAtATime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 5}, activities.Config{})
	h.saveIntegration("acme-1", adminClientID)
	live := fakeWorkflows{status: map[string]enumspb.WorkflowExecutionStatus{
		"onelogin-sync/acme-1-2026-12-01T10:15:00Z": enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		"onelogin-sync/acme-1":                      enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
	}}
	h.acts.Workflows = live
	begin := func(key string) activities.BeginSyncResult {
		return must[activities.BeginSyncResult](h, h.acts.BeginSync, activities.BeginSyncInput{IntegrationID: "acme-1", Mode: api.ModeFull, Key: key})
	}
	scheduled := begin("onelogin-sync/acme-1-2026-12-01T10:15:00Z/run-1")
	require.NotZero(t, scheduled.RunID)
	onDemand := begin("onelogin-sync/acme-1/run-2")
	require.Equal(t, "onelogin-sync/acme-1-2026-12-01T10:15:00Z", onDemand.Busy)
	require.Zero(t, onDemand.RunID, "a busy begin opens no run")
	require.Equal(t, scheduled, begin("onelogin-sync/acme-1-2026-12-01T10:15:00Z/run-1"), "the holder's own retry is not blocked")

	// The scheduled run's workflow was terminated: its run is abandoned.
	delete(live.status, "onelogin-sync/acme-1-2026-12-01T10:15:00Z")
	again := begin("onelogin-sync/acme-1/run-2")
	require.Empty(t, again.Busy)
	require.NotZero(t, again.RunID)
	old, err := h.store.GetSyncRun(h.ctx, "acme-1", scheduled.RunID)
	require.NoError(t, err)
	require.Equal(t, directory.RunFailed, old.Status)
	require.Equal(t, "abandoned", old.ErrorCode)

	// A run opened before v0.2.0 (its key is a bare run id) holds for two
	// hours from its start.
	_, err = h.store.FinishSyncRun(h.ctx, "acme-1", again.RunID, directory.RunResult{Status: directory.RunCompleted})
	require.NoError(t, err)
	legacy := begin("legacy-run-id")
	require.NotZero(t, legacy.RunID)
	require.NotEmpty(t, begin("onelogin-sync/acme-1/run-3").Busy)
	h.clock.Advance(3 * time.Hour)
	require.Empty(t, begin("onelogin-sync/acme-1/run-3").Busy)
}
