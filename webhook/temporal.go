package webhook

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/api"
)

// TemporalSignaler signals the events workflow with signal-with-start, so a
// delivery reaches it even when it is not running (it starts with default
// settings; connect normally starts it first).
type TemporalSignaler struct {
	Client    client.Client
	TaskQueue string
}

// SignalEvents signals, or starts and signals, api.EventsWorkflowID(integration).
func (s TemporalSignaler) SignalEvents(ctx context.Context, integration string, d api.EventsDelivery) error {
	_, err := s.Client.SignalWithStartWorkflow(ctx, api.EventsWorkflowID(integration), api.EventsSignal, d,
		client.StartWorkflowOptions{
			ID: api.EventsWorkflowID(integration), TaskQueue: s.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			TypedSearchAttributes:    temporal.NewSearchAttributes(api.IntegrationAttribute.ValueSet(integration)),
			StaticSummary:            "OneLogin events of " + integration,
		}, api.EventsWorkflow, api.EventsRequest{IntegrationID: integration})
	return err
}
