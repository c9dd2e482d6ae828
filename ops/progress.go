package ops

import (
	"context"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
)

// LiveProgress is a sync's progress with what only its running activities
// know.
type LiveProgress struct {
	api.SyncProgress
	// TotalPages are the page counts of kinds whose read knows them ahead
	// (a full read of users); a progress bar can use them.
	TotalPages map[string]int `json:",omitempty"`
}

// Progress returns a sync's progress: the workflow's own view from the
// progress query, with live page and item counts of running kinds taken
// from their activities' heartbeat details (kept out of the workflow so
// history stays small).
func (o *Ops) Progress(ctx context.Context, workflowID, runID string) (api.SyncProgress, error) {
	p, err := o.LiveProgress(ctx, workflowID, runID)
	return p.SyncProgress, err
}

// LiveProgress is Progress with the known page totals.
func (o *Ops) LiveProgress(ctx context.Context, workflowID, runID string) (LiveProgress, error) {
	var p LiveProgress
	v, err := o.Client.QueryWorkflow(ctx, workflowID, runID, api.ProgressQuery)
	if err != nil {
		return p, err
	}
	if err := v.Get(&p.SyncProgress); err != nil {
		return p, err
	}
	desc, err := o.Client.DescribeWorkflow(ctx, workflowID, runID)
	if err != nil {
		return p, err
	}
	for _, kp := range activities.RunningKinds(desc.RawResponse, o.DataConverter) {
		st, ok := p.Kinds[kp.Kind]
		if !ok || st.State != api.KindRunning {
			continue
		}
		st.Pages, st.Items, st.Created, st.Updated, st.Calls = kp.Pages, kp.Items, kp.Created, kp.Updated, kp.Calls
		if kp.TotalPages > 0 {
			if p.TotalPages == nil {
				p.TotalPages = map[string]int{}
			}
			p.TotalPages[kp.Kind] = kp.TotalPages
		}
	}
	return p, nil
}
