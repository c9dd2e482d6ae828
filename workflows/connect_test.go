package workflows

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
)

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	// Warnings and errors only: the SDK's debug lines drown test output.
	s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := s.NewTestWorkflowEnvironment()
	Register(env)
	env.RegisterActivity(&activities.Activities{})
	// A connect starts the endless events workflow as a child: mocked here,
	// tested on its own in events_test.go.
	env.OnWorkflow(api.EventsWorkflow, mock.Anything, mock.Anything).Return(api.EventsStatus{}, nil).Maybe()
	return env
}

func testSealed(t *testing.T) seal.Sealed {
	t.Helper()
	key, err := seal.GenerateKey()
	require.NoError(t, err)
	kr, err := seal.ParseKeyring("k1:" + key)
	require.NoError(t, err)
	s, err := kr.Seal(seal.NewSecret("top-secret"), api.ClientSecretAAD("acme-tenant"))
	require.NoError(t, err)
	return s
}

func connectRequest(t *testing.T) api.ConnectRequest {
	return api.ConnectRequest{IntegrationID: "acme-tenant", Subdomain: "acme", ClientID: "cid", ClientSecret: testSealed(t), RequestedBy: "admin@acme"}
}

func okSync() api.SyncResult {
	return api.SyncResult{IntegrationID: "acme-tenant", RunID: 1, Mode: api.ModeFull, Status: api.SyncStatusCompleted,
		Kinds: map[string]*api.KindStatus{"users": {State: api.KindDone, Items: 120}, "groups": {State: api.KindDone, Items: 5},
			"roles": {State: api.KindDone, Items: 7}, "apps": {State: api.KindDone, Items: 9}}}
}

func TestConnectSuccess(t *testing.T) {
	env := newEnv(t)
	req := connectRequest(t)
	env.OnActivity(a.ValidateCredential, mock.Anything, mock.MatchedBy(func(in activities.ValidateInput) bool {
		return in.IntegrationID == "acme-tenant" && in.Credential.ClientSecret.String() == req.ClientSecret.String()
	})).Return(activities.ValidateResult{Scope: "manage_all", AccountID: 42, Subdomain: "acme", CanAct: true}, nil).Once()
	env.OnActivity(a.SaveIntegration, mock.Anything, mock.MatchedBy(func(in activities.SaveInput) bool {
		return in.Status == directory.StatusConnecting && in.Scope == "manage_all"
	})).Return(nil).Once()
	env.OnWorkflow(api.SyncWorkflow, mock.Anything, api.SyncRequest{IntegrationID: "acme-tenant", Mode: api.ModeFull}).Return(okSync(), nil).Once()
	env.OnActivity(a.EnsureSchedule, mock.Anything, mock.MatchedBy(func(in activities.ScheduleInput) bool {
		return in.ScheduleID == api.ScheduleID("acme-tenant") && in.Interval == api.DefaultSyncInterval &&
			in.WorkflowType == api.SyncWorkflow && in.WorkflowID == api.SyncWorkflowID("acme-tenant") &&
			string(in.Arg) == `{"IntegrationID":"acme-tenant","Mode":"incremental"}` &&
			in.Keywords["OneLoginIntegration"] == "acme-tenant"
	})).Return(activities.ScheduleResult{Created: true}, nil).Once()
	env.OnActivity(a.SetIntegrationStatus, mock.Anything, mock.MatchedBy(func(in activities.StatusInput) bool {
		return in.Status == directory.StatusConnected && in.Message != ""
	})).Return(nil).Once()

	env.ExecuteWorkflow(ConnectIntegration, req)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	env.AssertWorkflowCalled(t, api.EventsWorkflow, mock.Anything, api.EventsRequest{IntegrationID: "acme-tenant"})
	var res api.ConnectResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, "manage_all", res.Scope)
	assert.True(t, res.CanAct)
	assert.Equal(t, 120, res.Sync.Users().Items)
	assert.True(t, res.ScheduleCreated)
	assert.Equal(t, api.ScheduleID("acme-tenant"), res.ScheduleID)
	env.AssertExpectations(t)
}

func TestConnectFailureCodes(t *testing.T) {
	for _, code := range []errcode.Code{errcode.InvalidCredentials, errcode.InsufficientScope,
		errcode.SubdomainNotFound, errcode.CredentialOwnerDeleted, errcode.InvalidInput} {
		t.Run(string(code), func(t *testing.T) {
			env := newEnv(t)
			env.OnActivity(a.ValidateCredential, mock.Anything, mock.Anything).
				Return(activities.ValidateResult{}, temporal.NewNonRetryableApplicationError("refused", string(code), nil)).Once()
			env.OnActivity(a.RecordConnectFailure, mock.Anything, mock.MatchedBy(func(in activities.ConnectFailure) bool {
				return in.Code == code && in.IntegrationID == "acme-tenant"
			})).Return("what to do about "+string(code), nil).Once()

			env.ExecuteWorkflow(ConnectIntegration, connectRequest(t))
			err := env.GetWorkflowError()
			require.Error(t, err)
			assert.Equal(t, code, errcode.Of(err))
			var ae *temporal.ApplicationError
			require.True(t, errors.As(err, &ae))
			assert.Contains(t, ae.Message(), "what to do about "+string(code))
			env.AssertExpectations(t)
			env.AssertNotCalled(t, "SaveIntegration", mock.Anything, mock.Anything)
		})
	}
}

func TestConnectRetriesTransientValidation(t *testing.T) {
	env := newEnv(t)
	calls := 0
	env.OnActivity(a.ValidateCredential, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.ValidateInput) (activities.ValidateResult, error) {
			calls++
			if calls < 3 {
				return activities.ValidateResult{}, temporal.NewApplicationError("502 from OneLogin", string(errcode.ServerError))
			}
			return activities.ValidateResult{Scope: "read_all", Subdomain: "acme"}, nil
		})
	env.OnActivity(a.SaveIntegration, mock.Anything, mock.Anything).Return(nil)
	env.OnWorkflow(api.SyncWorkflow, mock.Anything, mock.Anything).Return(okSync(), nil)
	env.OnActivity(a.EnsureSchedule, mock.Anything, mock.Anything).Return(activities.ScheduleResult{}, nil)
	env.OnActivity(a.SetIntegrationStatus, mock.Anything, mock.MatchedBy(func(in activities.StatusInput) bool {
		return in.Status == directory.StatusConnected && assert.Contains(t, in.Message, "Connected with Read All scope") && assert.Contains(t, in.Message, "Limited scope: actions (activate, suspend, groups, roles, passwords) need Manage All")
	})).Return(nil)

	env.ExecuteWorkflow(ConnectIntegration, connectRequest(t))
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 3, calls)
	var res api.ConnectResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.False(t, res.CanAct)
	assert.False(t, res.ScheduleCreated, "an existing schedule was updated")
}

func TestConnectTransientGivesUpWithoutRecordingACause(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.ValidateCredential, mock.Anything, mock.Anything).
		Return(activities.ValidateResult{}, temporal.NewApplicationError("connection reset", string(errcode.Network)))
	env.ExecuteWorkflow(ConnectIntegration, connectRequest(t))
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.Equal(t, errcode.Network, errcode.Of(err))
	env.AssertNotCalled(t, "RecordConnectFailure", mock.Anything, mock.Anything)
}

func TestConnectInitialSyncFailureIsRecorded(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.ValidateCredential, mock.Anything, mock.Anything).Return(activities.ValidateResult{Scope: "read_all"}, nil)
	env.OnActivity(a.SaveIntegration, mock.Anything, mock.Anything).Return(nil)
	env.OnWorkflow(api.SyncWorkflow, mock.Anything, mock.Anything).
		Return(api.SyncResult{}, temporal.NewNonRetryableApplicationError("apps refused", string(errcode.InsufficientScope), nil))
	env.OnActivity(a.SetIntegrationStatus, mock.Anything, mock.MatchedBy(func(in activities.StatusInput) bool {
		return in.Status == directory.StatusInsufficientScope
	})).Return(nil).Once()

	env.ExecuteWorkflow(ConnectIntegration, connectRequest(t))
	assert.Equal(t, errcode.InsufficientScope, errcode.Of(env.GetWorkflowError()))
	env.AssertExpectations(t)
	env.AssertNotCalled(t, "EnsureSchedule", mock.Anything, mock.Anything)
}

func TestConnectBadInput(t *testing.T) {
	for name, mutate := range map[string]func(*api.ConnectRequest){
		"empty id":       func(r *api.ConnectRequest) { r.IntegrationID = "" },
		"id with space":  func(r *api.ConnectRequest) { r.IntegrationID = "acme tenant" },
		"id with slash":  func(r *api.ConnectRequest) { r.IntegrationID = "acme/x" },
		"no secret":      func(r *api.ConnectRequest) { r.ClientSecret = seal.Sealed{} },
		"tiny interval":  func(r *api.ConnectRequest) { r.SyncInterval = time.Second },
		"too long an id": func(r *api.ConnectRequest) { r.IntegrationID = string(make([]byte, 200)) },
	} {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t)
			req := connectRequest(t)
			mutate(&req)
			env.ExecuteWorkflow(ConnectIntegration, req)
			assert.Equal(t, errcode.InvalidInput, errcode.Of(env.GetWorkflowError()))
		})
	}
}

func TestDisconnect(t *testing.T) {
	env := newEnv(t)
	env.OnRequestCancelExternalWorkflow(mock.Anything, api.EventsWorkflowID("acme-tenant"), "").Return(nil).Once()
	env.OnActivity(a.DeleteSchedule, mock.Anything, api.ScheduleID("acme-tenant")).Return(nil).Once()
	// Runs in flight stop: every run of the integration but this one.
	env.OnActivity(a.CancelRuns, mock.Anything, activities.CancelRunsInput{IntegrationID: "acme-tenant",
		Except: "default-test-workflow-id"}).Return(2, nil).Once()
	env.OnActivity(a.RevokeToken, mock.Anything, "acme-tenant").Return(nil).Once()
	env.OnActivity(a.SetIntegrationStatus, mock.Anything, activities.StatusInput{
		IntegrationID: "acme-tenant", Status: directory.StatusDisconnected, Message: "Disconnected by ops."}).Return(nil).Once()
	env.ExecuteWorkflow(DisconnectIntegration, api.DisconnectRequest{IntegrationID: "acme-tenant", RequestedBy: "ops"})
	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)
}

// No events workflow running (connected before events existed, or it
// ended): disconnect goes on.
func TestDisconnectWithoutEventsWorkflow(t *testing.T) {
	env := newEnv(t)
	env.OnRequestCancelExternalWorkflow(mock.Anything, api.EventsWorkflowID("acme-tenant"), "").
		Return(&temporal.UnknownExternalWorkflowExecutionError{}).Once()
	env.OnActivity(a.DeleteSchedule, mock.Anything, api.ScheduleID("acme-tenant")).Return(nil).Once()
	env.OnActivity(a.RevokeToken, mock.Anything, "acme-tenant").Return(nil).Once()
	env.OnActivity(a.SetIntegrationStatus, mock.Anything, mock.Anything).Return(nil).Once()
	env.ExecuteWorkflow(DisconnectIntegration, api.DisconnectRequest{IntegrationID: "acme-tenant"})
	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)
}

func TestIDs(t *testing.T) {
	assert.Equal(t, "onelogin-connect/t1", api.ConnectWorkflowID("t1"))
	assert.Equal(t, "onelogin-sync/t1", api.SyncWorkflowID("t1"))
	assert.Equal(t, "onelogin-sync/t1/initial", api.InitialSyncWorkflowID("t1"))
	assert.Equal(t, "onelogin-sync-schedule/t1", api.ScheduleID("t1"))
	assert.Equal(t, "onelogin-disconnect/t1", api.DisconnectWorkflowID("t1"))
	require.NoError(t, api.ValidateIntegrationID("tenant-42.eu:prod@x_y"))
}

// insufficient_scope keeps the scope the credential has, so the admin
// learns Read Users from Authentication Only.
func TestConnectInsufficientScopeKeepsTheDetectedScope(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.ValidateCredential, mock.Anything, mock.Anything).Return(activities.ValidateResult{},
		temporal.NewNonRetryableApplicationError("too narrow", string(errcode.InsufficientScope), nil, activities.ScopeDetails{Scope: "read_users"})).Once()
	env.OnActivity(a.RecordConnectFailure, mock.Anything, mock.MatchedBy(func(in activities.ConnectFailure) bool {
		return in.Code == errcode.InsufficientScope && in.Scope == "read_users"
	})).Return(activities.StatusMessage(errcode.InsufficientScope, "read_users", "acme"), nil).Once()
	env.ExecuteWorkflow(ConnectIntegration, api.ConnectRequest{IntegrationID: "acme-tenant", Subdomain: "acme", ClientID: "id", ClientSecret: testSealed(t)})
	err := env.GetWorkflowError()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, ae.Message(), "(it has Read Users)")
	env.AssertExpectations(t)
}

// A first sync that ends partial tells the admin what the sync said, not
// Temporal's wrapping of it.
func TestConnectInitialSyncFailureSaysWhatToDo(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(a.ValidateCredential, mock.Anything, mock.Anything).Return(activities.ValidateResult{Scope: "read_all"}, nil).Once()
	env.OnActivity(a.SaveIntegration, mock.Anything, mock.Anything).Return(nil).Once()
	env.OnWorkflow(api.SyncWorkflow, mock.Anything, mock.Anything).
		Return(api.SyncResult{}, temporal.NewNonRetryableApplicationError("sync partial: apps not read (server_error): retry", string(errcode.ServerError), nil)).Once()
	var msg string
	env.OnActivity(a.SetIntegrationStatus, mock.Anything, mock.MatchedBy(func(in activities.StatusInput) bool {
		msg = in.Message
		return in.Status == directory.StatusConnecting
	})).Return(nil).Once()
	env.ExecuteWorkflow(ConnectIntegration, api.ConnectRequest{IntegrationID: "acme-tenant", Subdomain: "acme", ClientID: "id", ClientSecret: testSealed(t)})
	require.Error(t, env.GetWorkflowError())
	assert.Equal(t, "The first sync did not finish (server_error): sync partial: apps not read (server_error): retry. Then connect again.", msg)
	assert.NotContains(t, msg, "identity")
}
