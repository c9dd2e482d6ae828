package activities_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
)

// fakeReader answers describe with pending activities and the progress
// query with a fixed progress.
type fakeReader struct {
	activities.WorkflowClient // only the reads below are called
	pending                   []*workflow.PendingActivityInfo
	err                       error
}

func (f fakeReader) DescribeWorkflow(context.Context, string, string) (*client.WorkflowExecutionDescription, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &client.WorkflowExecutionDescription{RawResponse: &workflowservice.DescribeWorkflowExecutionResponse{PendingActivities: f.pending}}, nil
}

func (f fakeReader) QueryWorkflow(_ context.Context, _, _, query string, _ ...any) (converter.EncodedValue, error) {
	if query != api.ProgressQuery {
		return nil, errors.New("unknown query " + query)
	}
	p, err := converter.GetDefaultDataConverter().ToPayloads(api.SyncProgress{Phase: api.PhaseReading})
	if err != nil {
		return nil, err
	}
	return encoded{p}, nil
}

type encoded struct{ p *commonpb.Payloads }

func (e encoded) HasValue() bool { return e.p != nil }
func (e encoded) Get(v any) error {
	return converter.GetDefaultDataConverter().FromPayloads(e.p, v)
}

func pending(t *testing.T, activity string, details any) *workflow.PendingActivityInfo {
	t.Helper()
	pa := &workflow.PendingActivityInfo{ActivityType: &commonpb.ActivityType{Name: activity}}
	if details != nil {
		p, err := converter.GetDefaultDataConverter().ToPayloads(details)
		require.NoError(t, err)
		pa.HeartbeatDetails = p
	}
	return pa
}

func TestLiveSyncProgressReadsHeartbeats(t *testing.T) {
	acts := &activities.Activities{Workflows: fakeReader{pending: []*workflow.PendingActivityInfo{
		pending(t, "SyncUsers", activities.KindProgress{Kind: "users", Items: 1250, Pages: 25, TotalPages: 60}),
		pending(t, "SyncGroups", nil),                                  // no heartbeat yet
		pending(t, "SyncRoles", activities.KindProgress{Kind: "apps"}), // not its own kind
		pending(t, "FinishSyncRun", activities.KindProgress{Kind: "users"}),
	}}}
	res, err := acts.LiveSyncProgress(context.Background(), activities.LiveInput{IntegrationID: "i", WorkflowID: "w", Query: true})
	require.NoError(t, err)
	require.Len(t, res.Running, 1)
	assert.Equal(t, 1250, res.Running[0].Items)
	assert.Equal(t, 60, res.Running[0].TotalPages)
	require.NotNil(t, res.Progress)
	assert.Equal(t, api.PhaseReading, res.Progress.Phase)
	assert.Zero(t, res.BudgetLimit, "no client in this process has seen a budget")
}

func TestLiveSyncProgressFailures(t *testing.T) {
	acts := &activities.Activities{Workflows: fakeReader{err: errors.New("unavailable")}}
	_, err := acts.LiveSyncProgress(context.Background(), activities.LiveInput{WorkflowID: "w"})
	require.Error(t, err)
	assert.Equal(t, errcode.ServerError, errcode.Of(err))

	none, err := (&activities.Activities{}).LiveSyncProgress(context.Background(), activities.LiveInput{WorkflowID: "w"})
	require.NoError(t, err, "a worker without a reader reports nothing")
	assert.Empty(t, none.Running)
}

func TestKindOfActivity(t *testing.T) {
	assert.Equal(t, "users", activities.KindOfActivity("SyncUsers"))
	assert.Equal(t, "", activities.KindOfActivity("BeginSync"))
}
