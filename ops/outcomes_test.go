package ops

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
)

// TestActionOutcomesPagesAndFilters: outcomes page by user id with Next,
// --failed narrows them, and an unknown request or a missing store is said.
func TestActionOutcomesPagesAndFilters(t *testing.T) {
	ctx := context.Background()
	s, err := directory.Open(ctx, "sqlite::memory:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.PutIntegration(ctx, directory.Integration{ID: "acme", Subdomain: "acme", Status: directory.StatusConnected}))
	var outs []directory.UserOutcome
	for id := int64(1); id <= 250; id++ {
		o := directory.UserOutcome{UserID: id, Outcome: directory.OutcomeChanged}
		if id%50 == 0 {
			o = directory.UserOutcome{UserID: id, Outcome: directory.OutcomeFailed, ErrorCode: "not_found", Message: "gone"}
		}
		outs = append(outs, o)
	}
	_, err = s.RecordOutcomes(ctx, directory.OutcomeBatch{IntegrationID: "acme", RequestID: "r1", Action: "suspend_users", Outcomes: outs})
	require.NoError(t, err)
	o := &Ops{Store: s}

	var seen int
	for after := int64(0); ; {
		page, err := o.ActionOutcomes(ctx, "acme", "r1", directory.OutcomeFilter{After: after, Limit: 100})
		require.NoError(t, err)
		require.Equal(t, directory.OutcomeCounts{Changed: 245, Failed: 5}, page.Counts)
		seen += len(page.Outcomes)
		if page.Next == 0 {
			break
		}
		after = page.Next
	}
	require.Equal(t, 250, seen)
	failed, err := o.ActionOutcomes(ctx, "acme", "r1", directory.OutcomeFilter{Outcome: directory.OutcomeFailed})
	require.NoError(t, err)
	require.Len(t, failed.Outcomes, 5)
	require.Equal(t, "not_found", failed.Outcomes[0].ErrorCode)

	_, err = o.ActionOutcomes(ctx, "acme", "nope", directory.OutcomeFilter{})
	require.Equal(t, errcode.NotFound, errcode.Of(err))
	_, err = (&Ops{}).ActionOutcomes(ctx, "acme", "r1", directory.OutcomeFilter{})
	require.Equal(t, errcode.InvalidInput, errcode.Of(err))
	_, err = o.ActionOutcomes(ctx, "acme", "bad id!", directory.OutcomeFilter{})
	require.Equal(t, errcode.InvalidInput, errcode.Of(err))
}
