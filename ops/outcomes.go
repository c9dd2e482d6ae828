package ops

import (
	"context"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/starter"
)

// ActionOutcomes is one page of a bulk action's per-user outcomes, with
// the request's counts. The audit entry of the request (same integration
// and request id) links to them.
type ActionOutcomes struct {
	IntegrationID string
	RequestID     string
	Counts        directory.OutcomeCounts
	Outcomes      []directory.ActionOutcome
	// Next is the After of the next page; 0 on the last page.
	Next int64 `json:",omitempty"`
}

// ActionOutcomes pages a request's outcomes from the store by user id:
// f.Outcome narrows to one outcome (failed, say), f.After continues after
// a page's Next. It needs Store.
func (o *Ops) ActionOutcomes(ctx context.Context, integration, requestID string, f directory.OutcomeFilter) (ActionOutcomes, error) {
	if err := api.ValidateIntegrationID(integration); err != nil {
		return ActionOutcomes{}, &starter.Error{Code: errcode.InvalidInput, Field: "integration_id", Message: err.Error()}
	}
	if err := api.ValidateRequestID(requestID); err != nil {
		return ActionOutcomes{}, &starter.Error{Code: errcode.InvalidInput, Field: "request_id", Message: err.Error()}
	}
	if o.Store == nil {
		return ActionOutcomes{}, &starter.Error{Code: errcode.InvalidInput, Field: "store",
			Message: "outcomes are kept in the directory store: give the workers' store"}
	}
	res := ActionOutcomes{IntegrationID: integration, RequestID: requestID}
	var err error
	if res.Counts, err = o.Store.CountOutcomes(ctx, integration, requestID); err != nil {
		return ActionOutcomes{}, err
	}
	if res.Counts.Total() == 0 {
		return res, &starter.Error{Code: errcode.NotFound, Field: "request_id",
			Message: "no outcomes recorded for request " + requestID + " on " + integration +
				" (actions run before the bulk engine, and onboarding, offboarding and passwords, keep them in the workflow result)"}
	}
	if res.Outcomes, err = o.Store.ListOutcomes(ctx, integration, requestID, f); err != nil {
		return ActionOutcomes{}, err
	}
	if n := len(res.Outcomes); n > 0 && n == pageSize(f.Limit) {
		res.Next = res.Outcomes[n-1].UserID
	}
	return res, nil
}

// pageSize is the store's page size for a filter's Limit.
func pageSize(limit int) int {
	if limit <= 0 {
		return 100
	}
	return min(limit, 1000)
}
