package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/starter"
)

// Run is one workflow run of an integration, as Temporal's visibility
// store lists it.
type Run struct {
	WorkflowID string
	RunID      string
	Type       string
	// Status is Running, Completed, Failed, Canceled, Terminated,
	// ContinuedAsNew or TimedOut.
	Status string
	// SyncStatus is OneLoginSyncStatus for syncs ("" for others).
	SyncStatus string
	Start      time.Time
	Close      time.Time `json:",omitzero"`
}

// Status is what an operator wants to know about an integration.
type Status struct {
	IntegrationID string
	// Integration is the store's record (nil when the Starter has no Store
	// or the integration was never recorded).
	Integration *directory.StatusSummary `json:",omitempty"`
	// Schedule is the periodic sync (nil when there is none).
	Schedule *ScheduleInfo `json:",omitempty"`
	// Runs are the newest runs first.
	Runs []Run
	// Sync is the progress of a sync running now (nil when none is).
	Sync *LiveProgress `json:",omitempty"`
	// Events is the events workflow's status (nil when none runs).
	Events *api.EventsStatus `json:",omitempty"`
	// Summary answers the admin's "I see no or few users": a sync still
	// running (with its progress), a scope that leaves things unsynced
	// (naming them), a sync that ended partial, or why it is not connected.
	Summary string `json:",omitempty"`
}

// ListRuns lists runs matching a visibility query, newest first, up to
// limit (default 20).
func (o *Ops) ListRuns(ctx context.Context, query string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 20
	}
	var runs []Run
	var token []byte
	for len(runs) < limit {
		resp, err := o.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: int32(min(limit-len(runs), 1000)), NextPageToken: token,
		})
		if err != nil {
			return nil, err
		}
		for _, e := range resp.GetExecutions() {
			r := Run{WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(),
				Type: e.GetType().GetName(), Status: statusName(e.GetStatus()), Start: e.GetStartTime().AsTime()}
			if e.GetCloseTime() != nil {
				r.Close = e.GetCloseTime().AsTime()
			}
			if p, ok := e.GetSearchAttributes().GetIndexedFields()[api.SyncStatusAttribute.GetName()]; ok {
				_ = converter.GetDefaultDataConverter().FromPayload(p, &r.SyncStatus)
			}
			runs = append(runs, r)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	if len(runs) > limit {
		runs = runs[:limit]
	}
	return runs, nil
}

// IntegrationQuery is the visibility query for an integration's runs.
func IntegrationQuery(integration string) string {
	return fmt.Sprintf("%s = '%s'", api.IntegrationAttribute.GetName(), integration)
}

// Status returns the integration's record (with a Store), its schedule,
// its last runs and the progress of a sync running now.
func (o *Ops) Status(ctx context.Context, integration string, runs int) (Status, error) {
	if err := api.ValidateIntegrationID(integration); err != nil {
		return Status{}, starter.Refuse("integration_id", "must be 1-128 letters, digits or . _ : @ -")
	}
	st := Status{IntegrationID: integration}
	if o.Store != nil {
		sum, err := o.Store.IntegrationStatus(ctx, integration)
		switch {
		case err == nil:
			st.Integration = &sum
		case !errors.Is(err, directory.ErrNotFound):
			return st, err
		}
	}
	sched, err := o.Schedule(ctx, integration)
	switch {
	case err == nil:
		st.Schedule = &sched
	case errcode.Of(err) != errcode.NotFound:
		return st, err
	}
	if st.Runs, err = o.ListRuns(ctx, IntegrationQuery(integration), runs); err != nil {
		return st, err
	}
	for _, r := range st.Runs {
		if r.Type == api.SyncWorkflow && r.Status == "Running" {
			if p, err := o.LiveProgress(ctx, r.WorkflowID, r.RunID); err == nil {
				st.Sync = &p
			}
			break
		}
	}
	if ev, err := o.EventsStatus(ctx, integration); err == nil {
		st.Events = &ev
	}
	if st.Integration == nil && st.Schedule == nil && len(st.Runs) == 0 {
		return st, &starter.Error{Code: errcode.NotFound, Field: "integration_id", Message: "no integration " + integration + " (no record, schedule or runs)"}
	}
	st.Summary = summarize(st)
	return st, nil
}

// summarize is Status.Summary.
func summarize(st Status) string {
	var parts []string
	if p := st.Sync; p != nil {
		s := "Syncing (" + p.Mode + "): " + p.Phase
		if u := p.Kinds[api.KindUsers]; u != nil {
			s += fmt.Sprintf(", %d users read", u.Items)
			if t := p.TotalPages[api.KindUsers]; t > 0 && u.State == api.KindRunning {
				s += fmt.Sprintf(" (page %d of %d)", u.Pages, t)
			}
		}
		parts = append(parts, s+"; the directory fills in as it reads.")
	}
	in := st.Integration
	if in == nil {
		return strings.Join(parts, " ")
	}
	scope := string(in.Integration.ScopeLevel)
	switch in.Integration.Status {
	case directory.StatusConnected, directory.StatusConnecting:
		if scope == "" {
			break
		}
		s := "Connected with " + activities.ScopeWords(scope) + " scope"
		switch directory.ScopeLevel(scope) {
		case directory.ScopeManageAll:
			s += ": users, groups, roles and apps sync, and actions run."
		case directory.ScopeReadAll:
			s += ": users, groups, roles and apps sync; actions (activate, suspend, groups, roles, passwords) are not possible: they need Manage All."
		default:
			s += ": nothing syncs (syncs need Read All) and no action runs (Manage All)."
		}
		parts = append(parts, s)
	default:
		if scope != "" {
			parts = append(parts, "Not connected ("+string(in.Integration.Status)+"); the credential has "+activities.ScopeWords(scope)+" scope.")
		} else {
			parts = append(parts, "Not connected ("+string(in.Integration.Status)+").")
		}
	}
	if r := in.LastRun; r != nil && r.Status == directory.RunPartial {
		parts = append(parts, fmt.Sprintf("The last sync (run %d) was partial (%s): some kinds were not read; see the run's failure for which and what to do.", r.ID, r.ErrorCode))
	}
	return strings.Join(parts, " ")
}

func statusName(s enumspb.WorkflowExecutionStatus) string {
	name, screaming := strings.CutPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_")
	if !screaming {
		return name // the API's enums print TimedOut, ContinuedAsNew already
	}
	parts := strings.Split(strings.ToLower(name), "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// notFound maps Temporal's NotFound to this package's not_found code.
func notFound(err error, what string) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return &starter.Error{Code: errcode.NotFound, Field: "integration_id", Message: what}
	}
	return err
}
