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
