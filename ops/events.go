package ops

import (
	"context"

	"github.com/olflow/olflow/api"
)

// EventsStatus asks the integration's running DirectoryEvents workflow for
// its cursor, last poll, lag and webhook health. It is not_found when no
// events workflow runs.
func (o *Ops) EventsStatus(ctx context.Context, integration string) (api.EventsStatus, error) {
	var st api.EventsStatus
	v, err := o.Client.QueryWorkflow(ctx, api.EventsWorkflowID(integration), "", api.EventsStatusQuery)
	if err != nil {
		return st, notFound(err, "no events workflow runs for "+integration)
	}
	return st, v.Get(&st)
}
