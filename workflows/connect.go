package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
)

// ConnectRequest starts ConnectIntegration. The client secret arrives
// sealed (the starter seals it with activities.ClientSecretAAD), so history
// never holds it in plaintext. Running it again for the same integration
// with a new credential rotates the credential.
type ConnectRequest struct {
	IntegrationID string
	Subdomain     string
	Region        string
	ClientID      string
	ClientSecret  seal.Sealed
	RequestedBy   string
	// SyncInterval is the PeriodicSync interval (default 15m).
	SyncInterval time.Duration
}

// ConnectResult summarises a connected integration.
type ConnectResult struct {
	IntegrationID string
	// Scope is the credential's level: read_all can sync, manage_all can
	// also run actions.
	Scope     string
	CanAct    bool
	AccountID int64
	Subdomain string
	Sync      SyncResult
	// ScheduleID is the PeriodicSync schedule; ScheduleCreated is false
	// when an existing one was updated.
	ScheduleID      string
	ScheduleCreated bool
	Duration        time.Duration
}

// ConnectIntegration validates a credential, records the integration, runs
// the initial full sync and sets up the periodic sync. A credential an admin
// must fix fails the workflow with its code (invalid_credentials,
// insufficient_scope, subdomain_not_found, credential_owner_deleted,
// invalid_input) after recording a message that says what to do.
func ConnectIntegration(ctx workflow.Context, req ConnectRequest) (ConnectResult, error) {
	w := &connectWorkflow{req: req}
	if err := w.setup(ctx); err != nil {
		return ConnectResult{}, err
	}
	return w.run(ctx)
}

type connectWorkflow struct {
	req   ConnectRequest
	cred  activities.Credential
	log   log.Logger
	start time.Time
}

func (w *connectWorkflow) setup(ctx workflow.Context) error {
	if err := ValidateIntegrationID(w.req.IntegrationID); err != nil {
		return err
	}
	if w.req.ClientSecret.IsZero() {
		return invalidInput("client_secret", "is empty")
	}
	if w.req.SyncInterval == 0 {
		w.req.SyncInterval = DefaultSyncInterval
	}
	if w.req.SyncInterval < time.Minute {
		return invalidInput("sync_interval", "must be at least a minute")
	}
	w.cred = activities.Credential{Subdomain: w.req.Subdomain, Region: w.req.Region, ClientID: w.req.ClientID, ClientSecret: w.req.ClientSecret}
	w.log = log.With(workflow.GetLogger(ctx), "integration", w.req.IntegrationID)
	w.start = workflow.Now(ctx)
	return workflow.UpsertTypedSearchAttributes(ctx, IntegrationAttribute.ValueSet(w.req.IntegrationID))
}

func (w *connectWorkflow) run(ctx workflow.Context) (ConnectResult, error) {
	validateCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// The admin is waiting: transient trouble is retried for a while, not forever.
		StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy: retryPolicy(30 * time.Second), Summary: "validate the OneLogin credential",
	})
	var v activities.ValidateResult
	if err := workflow.ExecuteActivity(validateCtx, a.ValidateCredential, activities.ValidateInput{
		IntegrationID: w.req.IntegrationID, Credential: w.cred,
	}).Get(ctx, &v); err != nil {
		return ConnectResult{}, w.refused(ctx, err)
	}
	w.log.Info("credential valid", "scope", v.Scope, "account", v.AccountID)

	if err := workflow.ExecuteActivity(shortActivity(ctx, "record the integration"), a.SaveIntegration, activities.SaveInput{
		IntegrationID: w.req.IntegrationID, Credential: w.cred, Scope: v.Scope,
		Status: directory.StatusConnecting, Message: "Connected; the first sync is running.",
	}).Get(ctx, nil); err != nil {
		return ConnectResult{}, err
	}

	sync, err := w.initialSync(ctx)
	if err != nil {
		return ConnectResult{}, w.syncFailed(ctx, err)
	}

	sched, err := w.ensureSchedule(ctx)
	if err != nil {
		return ConnectResult{}, err
	}

	msg := fmt.Sprintf("Connected with %s scope. First sync read %d users, %d groups, %d roles and %d apps.",
		v.Scope, sync.Users().Items, kindOr(sync.Kinds, directory.KindGroups).Items,
		kindOr(sync.Kinds, directory.KindRoles).Items, kindOr(sync.Kinds, directory.KindApps).Items)
	if !v.CanAct {
		msg += " Actions need Manage All."
	}
	if err := w.setIntegrationStatus(ctx, directory.StatusConnected, msg); err != nil {
		return ConnectResult{}, err
	}
	return ConnectResult{IntegrationID: w.req.IntegrationID, Scope: v.Scope, CanAct: v.CanAct, AccountID: v.AccountID,
		Subdomain: v.Subdomain, Sync: sync, ScheduleID: ScheduleID(w.req.IntegrationID), ScheduleCreated: sched.Created,
		Duration: workflow.Now(ctx).Sub(w.start)}, nil
}

// refused records why a credential failed and fails with its code. Other
// failures (retries exhausted on a transient error) fail as they are.
func (w *connectWorkflow) refused(ctx workflow.Context, err error) error {
	code := errcode.Of(err)
	if !isConnectFailure(code) {
		return err
	}
	var msg string
	if rerr := workflow.ExecuteActivity(shortActivity(ctx, "record why the credential was refused"), a.RecordConnectFailure,
		activities.ConnectFailure{IntegrationID: w.req.IntegrationID, Credential: w.cred, Code: code}).Get(ctx, &msg); rerr != nil {
		w.log.Error("could not record the connect failure", "error", rerr)
		msg = activities.StatusMessage(code, "", w.req.Subdomain)
	}
	w.log.Warn("credential refused", "code", code)
	return fail(code, msg)
}

func (w *connectWorkflow) initialSync(ctx workflow.Context) (SyncResult, error) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            InitialSyncWorkflowID(w.req.IntegrationID),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(IntegrationAttribute.ValueSet(w.req.IntegrationID)),
		StaticSummary:         "Initial full sync of " + w.req.IntegrationID,
	})
	var res SyncResult
	err := workflow.ExecuteChildWorkflow(cctx, SyncWorkflow, SyncRequest{IntegrationID: w.req.IntegrationID, Mode: ModeFull}).Get(ctx, &res)
	return res, err
}

// syncFailed keeps the admin informed when the credential validated but the
// first sync did not finish, then fails with the sync's code.
func (w *connectWorkflow) syncFailed(ctx workflow.Context, err error) error {
	code := errcode.Of(err)
	status, msg := directory.StatusConnecting, "The first sync failed ("+string(codeOr(code))+"); fix the cause and connect again."
	if isConnectFailure(code) && code != errcode.InvalidInput {
		status, _ = activities.StatusOfCode(code)
		msg = activities.StatusMessage(code, "", w.req.Subdomain)
	}
	if serr := w.setIntegrationStatus(ctx, status, msg); serr != nil {
		w.log.Error("could not record the sync failure", "error", serr)
	}
	return fail(codeOr(code), msg)
}

func (w *connectWorkflow) setIntegrationStatus(ctx workflow.Context, status directory.IntegrationStatus, msg string) error {
	return workflow.ExecuteActivity(shortActivity(ctx, "record the integration status"), a.SetIntegrationStatus,
		activities.StatusInput{IntegrationID: w.req.IntegrationID, Status: status, Message: msg}).Get(ctx, nil)
}

func (w *connectWorkflow) ensureSchedule(ctx workflow.Context) (activities.ScheduleResult, error) {
	arg, err := json.Marshal(SyncRequest{IntegrationID: w.req.IntegrationID, Mode: ModeIncremental})
	if err != nil {
		return activities.ScheduleResult{}, err
	}
	var res activities.ScheduleResult
	err = workflow.ExecuteActivity(shortActivity(ctx, "create or update the periodic sync"), a.EnsureSchedule, activities.ScheduleInput{
		ScheduleID: ScheduleID(w.req.IntegrationID), IntegrationID: w.req.IntegrationID,
		Interval: w.req.SyncInterval, CatchupWindow: DefaultCatchupWindow,
		WorkflowType: SyncWorkflow, WorkflowID: SyncWorkflowID(w.req.IntegrationID), TaskQueue: workflow.GetInfo(ctx).TaskQueueName,
		Arg:      arg,
		Keywords: map[string]string{IntegrationAttribute.GetName(): w.req.IntegrationID},
		Note:     byWhom("Connected", w.req.RequestedBy),
	}).Get(ctx, &res)
	return res, err
}

func byWhom(what, who string) string {
	if who = strings.TrimSpace(who); who == "" {
		return what + "."
	}
	return what + " by " + who + "."
}

func codeOr(code errcode.Code) errcode.Code {
	if code == "" {
		return errcode.ServerError
	}
	return code
}

// DisconnectRequest starts DisconnectIntegration.
type DisconnectRequest struct {
	IntegrationID string
	RequestedBy   string
}

// DisconnectIntegration deletes the periodic sync, revokes the token and
// marks the integration disconnected. Synced data stays for the product to
// keep or purge.
func DisconnectIntegration(ctx workflow.Context, req DisconnectRequest) error {
	if err := ValidateIntegrationID(req.IntegrationID); err != nil {
		return err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, IntegrationAttribute.ValueSet(req.IntegrationID)); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(shortActivity(ctx, "delete the periodic sync"), a.DeleteSchedule,
		ScheduleID(req.IntegrationID)).Get(ctx, nil); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(shortActivity(ctx, "revoke the OneLogin token"), a.RevokeToken,
		req.IntegrationID).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteActivity(shortActivity(ctx, "mark the integration disconnected"), a.SetIntegrationStatus,
		activities.StatusInput{IntegrationID: req.IntegrationID, Status: directory.StatusDisconnected,
			Message: byWhom("Disconnected", req.RequestedBy)}).Get(ctx, nil)
}
