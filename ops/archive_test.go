package ops

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/workflows"
)

func TestAuditArchiveRebuildsAnActionsResult(t *testing.T) {
	ctx := context.Background()
	store, err := directory.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "olflow.db"))
	require.NoError(t, err)
	defer store.Close()
	require.NoError(t, store.PutIntegration(ctx, directory.Integration{ID: "acme", Subdomain: "acme", Status: directory.StatusConnected}))
	_, err = store.AppendAudit(ctx, directory.AuditEntry{IntegrationID: "acme", Actor: "agent@acme", RequestID: "r-1",
		Action: workflows.AuditAction(api.SuspendUsersWorkflow), Targets: []directory.AuditTarget{
			{UserID: 7, Outcome: directory.OutcomeChanged},
			{UserID: 8, Outcome: directory.OutcomeAlreadyDone},
			{UserID: 9, Outcome: directory.OutcomeFailed, ErrorCode: string(errcode.NotFound)},
		}})
	require.NoError(t, err)

	res, found, err := AuditArchive{Store: store}.ActionResult(ctx, "acme", "r-1")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, api.SuspendUsersWorkflow, res.Action)
	assert.Equal(t, [3]int{1, 1, 1}, [3]int{res.Changed, res.AlreadyDone, res.Failed})
	assert.Equal(t, errcode.NotFound, res.Users[2].Code)

	_, found, err = AuditArchive{Store: store}.ActionResult(ctx, "acme", "r-unknown")
	require.NoError(t, err)
	assert.False(t, found)
}

// TestAuditArchiveCountsABulkRequestFromItsOutcomes: a big bulk request's
// audit entry lists nobody; its counts come from the outcomes table, and a
// dry run says so.
func TestAuditArchiveCountsABulkRequestFromItsOutcomes(t *testing.T) {
	ctx := context.Background()
	store, err := directory.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "olflow.db"))
	require.NoError(t, err)
	defer store.Close()
	require.NoError(t, store.PutIntegration(ctx, directory.Integration{ID: "acme", Subdomain: "acme", Status: directory.StatusConnected}))
	for _, req := range []struct{ id, action string }{{"big", "suspend_users"}, {"dry", "suspend_users_dry_run"}} {
		_, err = store.AppendAudit(ctx, directory.AuditEntry{IntegrationID: "acme", Actor: "agent@acme", RequestID: req.id, Action: req.action})
		require.NoError(t, err)
		outs := []directory.UserOutcome{{UserID: 1, Outcome: directory.OutcomeChanged}, {UserID: 2, Outcome: directory.OutcomeFailed, ErrorCode: "not_found"}}
		if req.id == "dry" {
			outs[0].Outcome = directory.OutcomeWouldChange
		}
		_, err = store.RecordOutcomes(ctx, directory.OutcomeBatch{IntegrationID: "acme", RequestID: req.id, Action: req.action, Outcomes: outs})
		require.NoError(t, err)
	}
	res, found, err := AuditArchive{Store: store}.ActionResult(ctx, "acme", "big")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, api.SuspendUsersWorkflow, res.Action)
	assert.Equal(t, [4]int{1, 0, 1, 2}, [4]int{res.Changed, res.AlreadyDone, res.Failed, res.Total})
	assert.True(t, res.UsersOmitted)
	assert.Equal(t, api.ActionOutcomePartial, res.Outcome)

	res, _, err = AuditArchive{Store: store}.ActionResult(ctx, "acme", "dry")
	require.NoError(t, err)
	assert.True(t, res.DryRun)
	assert.Equal(t, api.SuspendUsersWorkflow, res.Action)
	assert.Equal(t, 1, res.WouldChange)
}
