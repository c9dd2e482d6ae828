package api_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/olflow/olflow/api"
)

func TestParseWorkflowIDInvertsTheHelpers(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want api.WorkflowRef
	}{
		{api.ConnectWorkflowID("acme"), api.WorkflowRef{Kind: api.RefConnect, IntegrationID: "acme"}},
		{api.SyncWorkflowID("tenant-42.eu:prod@x_y"), api.WorkflowRef{Kind: api.RefSync, IntegrationID: "tenant-42.eu:prod@x_y"}},
		{api.InitialSyncWorkflowID("acme"), api.WorkflowRef{Kind: api.RefInitialSync, IntegrationID: "acme"}},
		{api.SyncWorkflowID("acme-2") + "-2026-12-01T10:15:00Z", api.WorkflowRef{Kind: api.RefScheduledSync, IntegrationID: "acme-2"}},
		{api.DisconnectWorkflowID("acme"), api.WorkflowRef{Kind: api.RefDisconnect, IntegrationID: "acme"}},
		{api.EventsWorkflowID("acme"), api.WorkflowRef{Kind: api.RefEvents, IntegrationID: "acme"}},
		{api.ActionWorkflowID("acme", "req-7"), api.WorkflowRef{Kind: api.RefAction, IntegrationID: "acme", RequestID: "req-7"}},
		{api.ScheduleID("acme"), api.WorkflowRef{Kind: api.RefSchedule, IntegrationID: "acme"}},
		{"onelogin-sync/t-1:eu@x-2026-11-28T21:12:35Z", api.WorkflowRef{Kind: api.RefScheduledSync, IntegrationID: "t-1:eu@x"}},
		{"onelogin-sync/2026-01-01", api.WorkflowRef{Kind: api.RefSync, IntegrationID: "2026-01-01"}},
		{"onelogin-connect/acme-2026-11-28T21:12:35Zx", api.WorkflowRef{Kind: api.RefConnect, IntegrationID: "acme-2026-11-28T21:12:35Zx"}},
	} {
		got, ok := api.ParseWorkflowID(tc.id)
		assert.True(t, ok, tc.id)
		assert.Equal(t, tc.want, got, tc.id)
	}
	for _, bad := range []string{"", "acme", "onelogin-sync", "onelogin-sync/", "onelogin-connect/", "onelogin-action/acme", "onelogin-action/acme/has space",
		"other/acme", "onelogin-sync/bad id"} {
		_, ok := api.ParseWorkflowID(bad)
		assert.False(t, ok, bad)
	}
}

func TestSealingContextsDifferPerRequest(t *testing.T) {
	assert.NotEqual(t, api.PasswordAAD("acme", "r1"), api.PasswordAAD("acme", "r2"))
	assert.NotEqual(t, api.PasswordAAD("acme", "r1"), api.ResetLinkAAD("acme", "r1"))
	assert.NotEqual(t, api.ClientSecretAAD("acme"), api.ClientSecretAAD("acme2"))
}

func TestUserRefNormalize(t *testing.T) {
	for _, bad := range []api.UserRef{{}, {ID: 1, Email: "a@b"}, {ID: -3}, {Email: "nope"}, {Email: "*@acme.com"}, {Username: "!admin"}} {
		_, err := bad.Normalize()
		assert.Error(t, err, "%+v", bad)
	}
	got, err := api.UserRef{Email: "  jane@acme.com "}.Normalize()
	assert.NoError(t, err)
	assert.Equal(t, "jane@acme.com", got.Email)
}
