package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// ScheduleInput describes an integration's periodic sync schedule. The
// workflow passes the started workflow's names and its encoded argument,
// because activities do not import workflows.
type ScheduleInput struct {
	ScheduleID    string
	IntegrationID string
	Interval      time.Duration
	CatchupWindow time.Duration
	WorkflowType  string
	WorkflowID    string
	TaskQueue     string
	// Arg is the started workflow's one argument, as JSON.
	Arg json.RawMessage
	// Keywords are Keyword search attributes set on every started run.
	Keywords map[string]string
	Note     string
}

// ScheduleResult says what EnsureSchedule did.
type ScheduleResult struct {
	Created bool
}

// EnsureSchedule creates the schedule or, when it exists, updates its spec,
// action and policies in place, keeping whether an operator paused it.
func (a *Activities) EnsureSchedule(ctx context.Context, in ScheduleInput) (ScheduleResult, error) {
	if in.ScheduleID == "" || in.Interval <= 0 {
		return ScheduleResult{}, failure(errcode.InvalidInput, "schedule id and a positive interval are required")
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: in.Interval, Offset: phase(in.IntegrationID, in.Interval)}}}
	action := &client.ScheduleWorkflowAction{
		ID: in.WorkflowID, Workflow: in.WorkflowType, TaskQueue: in.TaskQueue, Args: []any{in.Arg},
		TypedSearchAttributes: keywords(in.Keywords),
		StaticSummary:         "Periodic OneLogin sync of " + in.IntegrationID,
		StaticDetails: "Periodic **incremental** sync of `" + in.IntegrationID + "` every " + every(in.Interval) +
			": users updated since the last sync, every group, role and app; a full read at least daily.",
	}
	_, err := a.Schedules.Create(ctx, client.ScheduleOptions{
		ID: in.ScheduleID, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: in.CatchupWindow, Note: in.Note,
		TypedSearchAttributes: keywords(in.Keywords),
	})
	if err == nil {
		return ScheduleResult{Created: true}, nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return ScheduleResult{}, temporalError(err)
	}
	err = a.Schedules.GetHandle(ctx, in.ScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(cur client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := cur.Description.Schedule
			s.Spec = &spec
			s.Action = action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			s.Policy.CatchupWindow = in.CatchupWindow
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	return ScheduleResult{}, temporalError(err)
}

// phase spreads tenants over the interval: each integration's syncs start
// at its own fixed offset (a hash of its id), so hundreds of tenants on 15
// minutes do not all hit the workers and OneLogin at :00, :15, :30, :45.
// Fixed rather than random per run, so an operator can tell when the next
// run is due.
func phase(integration string, interval time.Duration) time.Duration {
	if interval < 2*time.Second {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(integration))
	return time.Duration(h.Sum64()%uint64(interval/time.Second)) * time.Second
}

// DeleteSchedule removes the schedule; a missing one is already gone.
// Workflows it started keep running.
func (a *Activities) DeleteSchedule(ctx context.Context, scheduleID string) error {
	err := a.Schedules.GetHandle(ctx, scheduleID).Delete(ctx)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return temporalError(err)
}

// CancelRunsInput names an integration whose runs in flight are to stop.
type CancelRunsInput struct {
	IntegrationID string
	// Except is the caller's own workflow id.
	Except string
}

// CancelRuns asks every running workflow of the integration (syncs,
// actions, its events workflow) to cancel, except the caller, and returns
// how many it asked. Cancelled actions audit what they already did.
func (a *Activities) CancelRuns(ctx context.Context, in CancelRunsInput) (int, error) {
	if a.Workflows == nil {
		return 0, nil
	}
	query := fmt.Sprintf("%s = '%s' AND ExecutionStatus = 'Running'", api.IntegrationAttribute.GetName(), in.IntegrationID)
	cancelled := 0
	var token []byte
	for {
		page, err := a.Workflows.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return cancelled, temporalError(err)
		}
		for _, e := range page.GetExecutions() {
			ex := e.GetExecution()
			if ex.GetWorkflowId() == in.Except {
				continue
			}
			err := a.Workflows.CancelWorkflow(ctx, ex.GetWorkflowId(), ex.GetRunId())
			var nf *serviceerror.NotFound
			if err != nil && !errors.As(err, &nf) { // a run that just closed needs nothing
				return cancelled, temporalError(err)
			}
			cancelled++
		}
		if token = page.GetNextPageToken(); len(token) == 0 {
			return cancelled, nil
		}
		activity.RecordHeartbeat(ctx, cancelled)
	}
}

func keywords(kv map[string]string) temporal.SearchAttributes {
	names := make([]string, 0, len(kv))
	for k := range kv {
		names = append(names, k)
	}
	sort.Strings(names)
	updates := make([]temporal.SearchAttributeUpdate, 0, len(kv))
	for _, k := range names {
		updates = append(updates, temporal.NewSearchAttributeKeyKeyword(k).ValueSet(kv[k]))
	}
	return temporal.NewSearchAttributes(updates...)
}

// temporalError classifies a Temporal service error: a refused request is
// invalid_input, anything else may heal.
func temporalError(err error) error {
	if err == nil {
		return nil
	}
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		return failure(errcode.InvalidInput, err.Error())
	}
	return temporal.NewApplicationError(err.Error(), string(errcode.ServerError))
}

// every writes an interval as people do: 15m, 1h30m, 2h (no 0s tails).
func every(d time.Duration) string {
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}
