package ops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/workflows"
)

// Each kind of divergence the SDK reports is produced here for real: a
// history from the corpus replayed against a stand-in for its workflow
// that takes one step fewer, one step more, or another step.

const corpus = "../testsuite/testdata/histories"

func corpusHistory(t *testing.T, name string) (*historypb.History, converter.DataConverter) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus, "codec-keys.txt"))
	require.NoError(t, err)
	keys, err := seal.ParseKeyring(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	hist, err := readHistoryFile(filepath.Join(corpus, name))
	require.NoError(t, err)
	return hist, codec.DataConverter(keys)
}

func TestDivergenceShapes(t *testing.T) {
	for _, tc := range []struct {
		name, history string
		standIn       func(ctx workflow.Context, req api.ActionRequest) (api.ActionResult, error)
		kind          string
		eventID       int64
		detail        string
		command       string
	}{
		{
			// The issue's own case: a run cancelled before the audit step
			// existed, replayed by code that audits on cancel, ungated.
			name: "extra command", history: "v0.1.0-pre.66b2013/action-suspend-users-cancelled.json",
			standIn: func(ctx workflow.Context, req api.ActionRequest) (api.ActionResult, error) {
				res, err := workflows.SuspendUsers(ctx, req)
				if temporal.IsCanceledError(err) {
					dctx, cancel := workflow.NewDisconnectedContext(ctx)
					defer cancel()
					dctx = workflow.WithActivityOptions(dctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
					_ = workflow.ExecuteActivity(dctx, "RecordAction", nil).Get(dctx, nil)
				}
				return res, err
			},
			kind: "extra_command", command: "ScheduleActivityTask RecordAction",
		},
		{
			name: "missing command", history: "v0.1.0/action-suspend-users.json",
			standIn: func(ctx workflow.Context, req api.ActionRequest) (api.ActionResult, error) {
				if err := begin(ctx, req); err != nil {
					return api.ActionResult{}, err
				}
				// No user step any more: history's SuspendUser has no command.
				return api.ActionResult{}, workflow.Await(ctx, func() bool { return false })
			},
			kind: "missing_command", eventID: 12, detail: "activity SuspendUser",
		},
		{
			name: "mismatch", history: "v0.1.0-pre.66b2013/action-suspend-users-cancelled.json",
			standIn: func(ctx workflow.Context, req api.ActionRequest) (api.ActionResult, error) {
				if err := begin(ctx, req); err != nil {
					return api.ActionResult{}, err
				}
				if err := workflow.ExecuteActivity(activityCtx(ctx), "SuspendUser", nil).Get(ctx, nil); err != nil {
					return api.ActionResult{}, err
				}
				// The second user's step no longer follows the cancel; on
				// the cancel this code starts a timer where history asked
				// to cancel that step.
				dctx, cancel := workflow.NewDisconnectedContext(ctx)
				defer cancel()
				step := workflow.ExecuteActivity(activityCtx(dctx), "SuspendUser", nil)
				workflow.NewSelector(ctx).AddFuture(step, func(workflow.Future) {}).
					AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {}).Select(ctx)
				return api.ActionResult{}, workflow.Sleep(dctx, time.Hour)
			},
			kind: "mismatch", eventID: 23, detail: "", command: "StartTimer",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hist, dc := corpusHistory(t, tc.history)
			res := replayWith(hist, dc, nil, func(r sdkworker.WorkflowRegistry) {
				r.RegisterWorkflowWithOptions(tc.standIn, workflow.RegisterOptions{Name: api.SuspendUsersWorkflow})
			})
			require.False(t, res.OK)
			require.NotNil(t, res.Divergence, "no divergence found in: %s", res.Error)
			assert.Contains(t, res.Error, "TMPRL1100")
			assert.Equal(t, tc.kind, res.Divergence.Kind, res.Error)
			assert.Equal(t, tc.eventID, res.Divergence.EventID, res.Error)
			assert.Equal(t, tc.detail, res.Divergence.Detail, res.Error)
			assert.True(t, strings.HasPrefix(res.Divergence.Command, tc.command), "%q: %s", res.Divergence.Command, res.Error)
		})
	}
}

// begin does what every action does first: the search attribute, then
// BeginAction.
func begin(ctx workflow.Context, req api.ActionRequest) error {
	if err := workflow.UpsertTypedSearchAttributes(ctx, api.IntegrationAttribute.ValueSet(req.IntegrationID)); err != nil {
		return err
	}
	return workflow.ExecuteActivity(activityCtx(ctx), "BeginAction", nil).Get(ctx, nil)
}

func activityCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
}

// The SDK's other messages, as v1.51 prints them, located in a real
// history.
func TestDivergenceMessagesLocateTheirEvent(t *testing.T) {
	hist, _ := corpusHistory(t, "v0.1.0/action-suspend-users.json")
	for msg, want := range map[string]Divergence{
		"[TMPRL1100] nondeterministic workflow: missing replay command for ActivityTaskScheduled: (ActivityId:12, ActivityType:(Name:SuspendUser))": {
			Kind: "missing_command", EventID: 12, EventType: "ActivityTaskScheduled", Detail: "activity SuspendUser"},
		"[TMPRL1100] During replay, a matching ScheduleActivityTask command was expected in history event position 6. However, the replayed code did not produce that.": {
			Kind: "missing_command", EventID: 6, EventType: "ActivityTaskScheduled", Detail: "activity BeginAction"},
		"[TMPRL1100] unable to find activityID for the scheduledEventID: 12": {
			Kind: "missing_command", EventID: 12, EventType: "ActivityTaskScheduled", Detail: "activity SuspendUser"},
		"[TMPRL1100] Workflow code removed support of version 1. for \"audit-on-cancel\" changeID. The oldest supported version is 2": {
			Kind: "version", Detail: "removed support of version"},
	} {
		got := divergence(hist, msg)
		require.NotNil(t, got, msg)
		assert.Equal(t, want, *got, msg)
	}
	assert.Nil(t, divergence(hist, "context deadline exceeded"))
}

// The ungated audit-on-cancel shape: history holds an activity the code
// never scheduled ("lookup failed for scheduledEventID").
func TestDivergenceOfAnActivityTheCodeNeverScheduled(t *testing.T) {
	hist, dc := corpusHistory(t, "v0.1.0/action-suspend-users-cancelled.json")
	res := ReplayHistory(hist, dc, nil)
	require.False(t, res.OK)
	require.NotNil(t, res.Divergence, res.Error)
	assert.Equal(t, "missing_command", res.Divergence.Kind)
	assert.Equal(t, "activity RecordAction", res.Divergence.Detail)
	assert.Positive(t, res.Divergence.EventID)
}

func TestReplayRefusesWhatIsNotAHistory(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(corpus, "v0.1.0", "action-suspend-users.json"))
	require.NoError(t, err)
	files := map[string]string{
		"empty.json":     "",
		"blank.json":     "  \n",
		"truncated.json": string(src[:len(src)/2]),
		"other.json":     `{"workflows": []}`,
		"list.json":      `[1, 2, 3]`,
		"no-start.json":  `{"events": [{"eventId": "1", "eventType": "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED"}]}`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		_, err := ReplayHistoryFile(p, converter.GetDefaultDataConverter())
		assert.Equal(t, errcode.InvalidInput, errcode.Of(err), "%s: %v", name, err)
	}
	_, err = ReplayHistoryFile(filepath.Join(dir, "missing.json"), converter.GetDefaultDataConverter())
	assert.Equal(t, errcode.InvalidInput, errcode.Of(err))
}
