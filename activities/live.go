package activities

import (
	"context"
	"strings"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/onelogin"
)

// WorkflowReader is the part of the Temporal client that live progress
// reads: a sync's pending activities (with their heartbeat details) and its
// progress query.
type WorkflowReader interface {
	DescribeWorkflow(ctx context.Context, workflowID, runID string) (*client.WorkflowExecutionDescription, error)
	QueryWorkflow(ctx context.Context, workflowID, runID, queryType string, args ...any) (converter.EncodedValue, error)
}

// LiveInput names a running sync whose live progress a workflow wants.
type LiveInput struct {
	IntegrationID string
	WorkflowID    string
	RunID         string
	// Query also asks the sync for its own progress (a parent following
	// its child); a sync reading itself must not (its own task is open).
	Query bool
}

// LiveResult is what the running sync's activities know now.
type LiveResult struct {
	// Running are the heartbeats of the kinds being read, in no order.
	Running []KindProgress `json:",omitempty"`
	// Progress is the sync's own view (with LiveInput.Query only).
	Progress *api.SyncProgress `json:",omitempty"`
	// BudgetRemaining and BudgetLimit are the account's rate budget as
	// this worker process last saw it (zero when it saw none).
	BudgetRemaining int `json:",omitempty"`
	BudgetLimit     int `json:",omitempty"`
}

// LiveSyncProgress reads a running sync's live progress for its Current
// Details in the UI. It runs as a local activity: one marker in history,
// whatever the number of pages read.
func (a *Activities) LiveSyncProgress(ctx context.Context, in LiveInput) (LiveResult, error) {
	var res LiveResult
	if a.Workflows == nil {
		return res, nil // a worker without a reader shows per-kind progress only
	}
	if in.Query {
		v, err := a.Workflows.QueryWorkflow(ctx, in.WorkflowID, in.RunID, api.ProgressQuery)
		if err != nil {
			return res, appError(err)
		}
		var p api.SyncProgress
		if err := v.Get(&p); err != nil {
			return res, appError(err)
		}
		res.Progress = &p
	}
	desc, err := a.Workflows.DescribeWorkflow(ctx, in.WorkflowID, in.RunID)
	if err != nil {
		return res, appError(err)
	}
	res.Running = RunningKinds(desc.RawResponse, a.DataConverter)
	if c, ok := a.Clients.cached(in.IntegrationID); ok {
		if rl, ok := c.RateLimit(); ok {
			res.BudgetRemaining, res.BudgetLimit = rl.Remaining, rl.Limit
		}
	}
	return res, nil
}

// RunningKinds decodes the heartbeat details of a sync's pending kind
// reads (SyncUsers, SyncGroups, …) with dc (Temporal's default when nil).
func RunningKinds(desc *workflowservice.DescribeWorkflowExecutionResponse, dc converter.DataConverter) []KindProgress {
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	var out []KindProgress
	for _, pa := range desc.GetPendingActivities() {
		kind := KindOfActivity(pa.GetActivityType().GetName())
		if kind == "" || pa.GetHeartbeatDetails() == nil {
			continue
		}
		var kp KindProgress
		if dc.FromPayloads(pa.GetHeartbeatDetails(), &kp) != nil || kp.Kind != kind {
			continue
		}
		out = append(out, kp)
	}
	return out
}

// KindOfActivity maps "SyncUsers" to "users" ("" for other activities).
func KindOfActivity(name string) string {
	k, ok := strings.CutPrefix(name, "Sync")
	if !ok {
		return ""
	}
	return strings.ToLower(k)
}

// cached is the integration's client if this process has one, without
// making one.
func (c *Clients) cached(integration string) (*onelogin.Client, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[integration]
	return e.client, ok
}
