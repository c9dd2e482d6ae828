package ops

import (
	"context"
	"strings"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/starter"
)

// AuditArchive answers starter.Starter.ActionResult from the audit log once
// Temporal no longer retains an action's run. It knows what the audit log
// keeps: each user's id, outcome and code, not OneLogin's messages.
type AuditArchive struct{ Store directory.Store }

var _ starter.Archive = AuditArchive{}

// ActionResult rebuilds an action's result from its audit entry.
func (a AuditArchive) ActionResult(ctx context.Context, integration, requestID string) (api.ActionResult, bool, error) {
	entries, err := a.Store.ListAudit(ctx, integration, directory.AuditFilter{RequestID: requestID})
	if err != nil || len(entries) == 0 {
		return api.ActionResult{}, false, err
	}
	e := entries[0]
	res := api.ActionResult{Action: workflowType(e.Action), IntegrationID: integration, RequestID: requestID}
	for _, t := range e.Targets {
		u := api.UserResult{User: api.UserRef{ID: t.UserID}, UserID: t.UserID, Outcome: string(t.Outcome), Code: errcode.Code(t.ErrorCode)}
		switch u.Outcome {
		case api.OutcomeChanged:
			res.Changed++
		case api.OutcomeAlreadyDone:
			res.AlreadyDone++
		case api.OutcomeFailed:
			res.Failed++
		}
		res.Users = append(res.Users, u)
	}
	// A bulk-engine request keeps each user's outcome in the store: its
	// counts come from there, and a big one lists nobody.
	c, err := a.Store.CountOutcomes(ctx, integration, requestID)
	if err != nil {
		return api.ActionResult{}, false, err
	}
	if total := int(c.Total()); total > 0 {
		res.Changed, res.AlreadyDone, res.Failed, res.WouldChange = int(c.Changed), int(c.AlreadyDone), int(c.Failed), int(c.WouldChange)
		res.Total, res.Done = max(total, len(res.Users)), total
		res.DryRun = strings.HasSuffix(e.Action, "_dry_run")
		if res.DryRun {
			res.Action = workflowType(strings.TrimSuffix(e.Action, "_dry_run"))
		}
		res.UsersOmitted = len(res.Users) == 0
		res.Outcome = api.OutcomeOf(res.Changed+res.AlreadyDone+res.WouldChange, res.Failed)
	}
	return res, true, nil
}

// workflowType turns the audit log's suspend_users back into SuspendUsers.
func workflowType(action string) string {
	var b strings.Builder
	for _, part := range strings.Split(action, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}
